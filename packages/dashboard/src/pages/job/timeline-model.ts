/**
 * The job tree as the timeline shows it: a flat list in depth-first order (children in creation
 * order) with each row's depth, built iteratively so a chain of any depth cannot overflow the
 * stack. A job whose parent is not in the tree (deleted by retention, or not loaded yet) hangs
 * under the root. Collapsed rows hide their descendants. Bars are placed on one time axis from
 * the earliest start to the latest end (now, for jobs still running).
 */
import type { JobSummary } from "@upnext/core";

export interface TimelineRow {
  readonly job: JobSummary;
  readonly depth: number;
  readonly childCount: number;
}

export interface TimelineTree {
  /** Every job in display order, with depths. */
  readonly rows: readonly TimelineRow[];
  readonly byId: ReadonlyMap<string, TimelineRow>;
}

export function buildTimelineTree(jobs: readonly JobSummary[], rootId: string): TimelineTree {
  const ids = new Set(jobs.map((job) => job.id));
  const children = new Map<string, JobSummary[]>();
  const roots: JobSummary[] = [];
  for (const job of jobs) {
    if (job.id === rootId) {
      roots.unshift(job);
      continue;
    }
    const parent =
      job.parentId !== null && ids.has(job.parentId) && job.parentId !== job.id ? job.parentId : rootId;
    if (!ids.has(parent)) {
      roots.push(job);
      continue;
    }
    const list = children.get(parent);
    if (list === undefined) children.set(parent, [job]);
    else list.push(job);
  }
  const rows: TimelineRow[] = [];
  const byId = new Map<string, TimelineRow>();
  const visited = new Set<string>();
  // An explicit stack (pushed in reverse) gives pre-order with children in their given order.
  const stack: { job: JobSummary; depth: number }[] = [...roots].reverse().map((job) => ({ job, depth: 0 }));
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (visited.has(item.job.id)) continue;
    visited.add(item.job.id);
    const kids = children.get(item.job.id) ?? [];
    const row: TimelineRow = { job: item.job, depth: item.depth, childCount: kids.length };
    rows.push(row);
    byId.set(item.job.id, row);
    for (let index = kids.length - 1; index >= 0; index--) {
      const kid = kids[index];
      if (kid !== undefined) stack.push({ job: kid, depth: item.depth + 1 });
    }
  }
  // Members of a parent cycle are unreachable from the root: show them rather than lose them.
  for (const job of jobs) {
    if (visited.has(job.id)) continue;
    visited.add(job.id);
    const row: TimelineRow = { job, depth: 1, childCount: 0 };
    rows.push(row);
    byId.set(job.id, row);
  }
  return { rows, byId };
}

/** The rows still visible when the rows in `collapsed` hide their descendants. */
export function visibleRows(tree: TimelineTree, collapsed: ReadonlySet<string>): readonly TimelineRow[] {
  if (collapsed.size === 0) return tree.rows;
  const out: TimelineRow[] = [];
  let hideBelow: number | undefined;
  for (const row of tree.rows) {
    if (hideBelow !== undefined) {
      if (row.depth > hideBelow) continue;
      hideBelow = undefined;
    }
    out.push(row);
    if (collapsed.has(row.job.id) && row.childCount > 0) hideBelow = row.depth;
  }
  return out;
}

export interface TimeDomain {
  readonly start: number;
  readonly end: number;
}

function startOf(job: JobSummary): number {
  return Date.parse(job.startedAt ?? job.scheduledAt ?? job.createdAt);
}

function endOf(job: JobSummary, now: number): number {
  return job.finishedAt === null ? now : Date.parse(job.finishedAt);
}

export function timeDomain(jobs: readonly JobSummary[], now: number): TimeDomain {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const job of jobs) {
    start = Math.min(start, Date.parse(job.createdAt));
    end = Math.max(end, endOf(job, now));
  }
  if (!Number.isFinite(start)) return { start: now, end: now + 1 };
  return { start, end: Math.max(end, start + 1) };
}

/** Minimum bar width, in percent, so an instant job is still visible. */
const MIN_BAR_PERCENT = 0.5;

/** Where a job's bar sits on the axis: left edge and width in percent, inside 0-100. */
export function barOf(job: JobSummary, domain: TimeDomain, now: number): { left: number; width: number } {
  const span = domain.end - domain.start;
  const from = Math.min(Math.max(startOf(job), domain.start), domain.end);
  const to = Math.min(Math.max(endOf(job, now), from), domain.end);
  const left = ((from - domain.start) / span) * 100;
  const width = Math.min(Math.max(((to - from) / span) * 100, MIN_BAR_PERCENT), 100 - left);
  return { left: Math.min(left, 100 - MIN_BAR_PERCENT), width: Math.max(width, MIN_BAR_PERCENT) };
}
