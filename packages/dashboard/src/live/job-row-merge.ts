/**
 * Rows (list items, timeline items, the detail) reconciled with what the live stream knows, and
 * new rows built from it. Pure functions: the cache glue calls them, the tests call them.
 */
import type { JobDetail, JobSummary } from "@upnext/core";
import { isTerminal } from "@upnext/core/rules";
import { type StatePoint, supersedes } from "./job-ordering.js";
import { type LiveJobState, iso } from "./live-job-state.js";

export function pointOfRow(row: Pick<JobSummary, "status" | "attempt" | "updatedAt">): StatePoint {
  const at = Date.parse(row.updatedAt);
  return { status: row.status, attempt: row.attempt, at: Number.isFinite(at) ? at : 0 };
}

function sameValues<T extends object>(row: T, patch: Partial<T>): boolean {
  for (const key of Object.keys(patch) as (keyof T)[]) {
    const a = row[key];
    const b = patch[key];
    if (a === b) continue;
    if (typeof a === "object" && typeof b === "object" && JSON.stringify(a) === JSON.stringify(b)) continue;
    return false;
  }
  return true;
}

/**
 * The row with the live state applied where the live state is newer, or the same object when
 * nothing changes (so React and TanStack Query see no change either).
 */
export function reconcileRow<T extends JobSummary>(row: T, state: LiveJobState): T {
  const patch: Partial<JobSummary> = {};
  let status = row.status;
  let attempt = row.attempt;
  const rowPoint = pointOfRow(row);
  if (state.point !== undefined && supersedes(state.point, rowPoint)) {
    Object.assign(patch, state.fields);
    status = state.point.status;
    attempt = state.point.attempt;
    patch.status = status;
    patch.attempt = attempt;
    patch.updatedAt = iso(state.point.at);
    if (status === "complete") patch.progress = 1;
  }
  if (state.tags !== undefined) patch.tags = { ...state.tags };
  const progress = state.progress;
  if (
    progress !== undefined &&
    !isTerminal(status) &&
    progress.attempt === attempt &&
    progress.at >= rowPoint.at
  ) {
    patch.progress = progress.value;
    patch.progressMessage = progress.message;
  }
  if (sameValues(row, patch)) return row;
  return { ...row, ...patch };
}

/** The detail gets the summary fields plus the last checkpoint. */
export function reconcileDetail(detail: JobDetail, state: LiveJobState): JobDetail {
  let next = reconcileRow(detail, state);
  const checkpoint = state.checkpoint;
  if (checkpoint !== undefined) {
    const current = detail.checkpoint?.at == null ? undefined : Date.parse(detail.checkpoint.at);
    if (current === undefined || checkpoint.at > current) {
      next = { ...next, checkpoint: { data: checkpoint.data, at: iso(checkpoint.at) } };
    }
  }
  return next;
}

/** A full row for a job first seen on the stream, or undefined until its creation facts arrived. */
export function rowFromState(state: LiveJobState): JobSummary | undefined {
  const creation = state.creation;
  if (creation === undefined) return undefined;
  const base: JobSummary = {
    id: state.jobId,
    function: state.function,
    kind: creation.kind,
    status: creation.status,
    failureReason: null,
    attempt: 0,
    maxAttempts: creation.maxAttempts,
    priority: creation.priority,
    parentId: state.parentId,
    rootId: state.rootId,
    workerId: null,
    progress: 0,
    progressMessage: null,
    errorMessage: null,
    tags: { ...(state.tags ?? {}) },
    createdAt: iso(creation.createdAt),
    scheduledAt: null,
    startedAt: null,
    finishedAt: null,
    updatedAt: iso(creation.createdAt),
    queueWaitMs: null,
    durationMs: null,
  };
  return reconcileRow(base, state);
}
