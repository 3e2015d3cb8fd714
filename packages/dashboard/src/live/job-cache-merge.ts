/**
 * Live job state merged into the shapes the query cache holds: cursor-paged lists (TanStack
 * infinite data), the tree timeline, the detail, and the append-only event and log lists.
 * Pure: each function returns the same object when nothing changed.
 */
import type { JobDetail, JobEvent, JobEventRecord, JobLog, JobSummary, PageInfo } from "@upnext/core";
import type { JobFilters } from "../api/job-filters.js";
import {
  compareNewestFirst,
  compareOldestFirst,
  canGainExistingJobs,
  matchesFilters,
} from "./job-list-match.js";
import { reconcileDetail, reconcileRow, rowFromState } from "./job-row-merge.js";
import { type LiveJobState, iso } from "./live-job-state.js";

export interface Paged<T> {
  readonly items: readonly T[];
  readonly page: PageInfo;
}

export interface InfinitePages<P> {
  readonly pages: readonly P[];
  readonly pageParams: readonly unknown[];
}

export interface ListMergeResult<D> {
  readonly data: D;
  /** The client could not place a job it was told about: refetch this list. */
  readonly refetch: boolean;
}

/**
 * How far a live list may grow past what was fetched before it is refetched instead: bounded
 * memory and DOM on a busy system, and a fresh first page from the server.
 */
export const LIVE_INSERT_CAP = 500;

function withItems<P extends Paged<JobSummary>>(page: P, items: JobSummary[]): P {
  return { ...page, items };
}

function insertSorted(
  items: JobSummary[],
  row: JobSummary,
  compare: (a: JobSummary, b: JobSummary) => number,
) {
  let index = items.findIndex((item) => compare(row, item) < 0);
  if (index === -1) index = items.length;
  items.splice(index, 0, row);
}

/** Whether what is known of a job without its creation facts could put it in the list. */
function partialCouldMatch(state: LiveJobState, filters: JobFilters): boolean {
  if (filters.function !== undefined && state.function !== filters.function) return false;
  if (filters.parentId !== undefined && state.parentId !== filters.parentId) return false;
  if (filters.rootId !== undefined && state.rootId !== filters.rootId) return false;
  const status = state.point?.status;
  if (
    filters.status !== undefined &&
    filters.status.length > 0 &&
    (status === undefined || !filters.status.includes(status))
  ) {
    return false;
  }
  if (filters.workerId !== undefined && state.fields.workerId !== filters.workerId) return false;
  return true;
}

/**
 * Merges changed jobs into a newest-first jobs list: rows update in place, rows that no longer
 * match leave, new jobs that match go where the order puts them (a job older than every loaded
 * row while more pages exist belongs to a page not loaded yet, and is left to it).
 */
export function mergeIntoJobList<P extends Paged<JobSummary>>(
  data: InfinitePages<P>,
  filters: JobFilters,
  changed: readonly LiveJobState[],
  limit: number,
): ListMergeResult<InfinitePages<P>> {
  if (changed.length === 0 || data.pages.length === 0) return { data, refetch: false };
  const byId = new Map(changed.map((state) => [state.jobId, state]));
  const present = new Set<string>();
  const pages = data.pages.map((page) => {
    let pageModified = false;
    const items: JobSummary[] = [];
    for (const row of page.items) {
      const state = byId.get(row.id);
      if (state === undefined) {
        items.push(row);
        continue;
      }
      present.add(row.id);
      const next = reconcileRow(row, state);
      if (next !== row) pageModified = true;
      if (matchesFilters(next, filters) === "no") {
        pageModified = true;
        continue;
      }
      items.push(next);
    }
    return { page, items: pageModified ? items : undefined };
  });
  const modified = pages.some((entry) => entry.items !== undefined);
  const working = pages.map(({ page, items }) => items ?? [...page.items]);
  const lastPage = data.pages[data.pages.length - 1];
  const hasMore = lastPage?.page.nextCursor != null;
  const inserted = new Set<number>();
  let refetch = false;
  for (const state of changed) {
    if (present.has(state.jobId)) continue;
    const row = rowFromState(state);
    if (row === undefined) {
      if (canGainExistingJobs(filters) && partialCouldMatch(state, filters)) refetch = true;
      continue;
    }
    const match = matchesFilters(row, filters);
    if (match === "unknown") refetch = true;
    if (match !== "yes") continue;
    let target = working.findIndex((items) => {
      const last = items[items.length - 1];
      return last !== undefined && compareNewestFirst(row, last) <= 0;
    });
    if (target === -1) {
      if (hasMore) continue;
      target = working.length - 1;
    }
    const items = working[target];
    if (items === undefined) continue;
    insertSorted(items, row, compareNewestFirst);
    inserted.add(target);
  }
  if (!modified && inserted.size === 0) return { data, refetch };
  const nextPages = data.pages.map((page, index) => {
    const items = working[index];
    return pages[index]?.items !== undefined || inserted.has(index) ? withItems(page, items ?? []) : page;
  });
  const firstCount = nextPages[0]?.items.length ?? 0;
  if (firstCount > limit + LIVE_INSERT_CAP) refetch = true;
  return { data: { ...data, pages: nextPages }, refetch };
}

/**
 * Merges changed jobs into a tree timeline (oldest first): rows update in place; a new job of
 * this tree is added once the whole timeline is loaded (otherwise its page will bring it).
 */
export function mergeIntoTimeline<P extends Paged<JobSummary> & { readonly rootId: string }>(
  data: InfinitePages<P>,
  changed: readonly LiveJobState[],
): InfinitePages<P> {
  const first = data.pages[0];
  if (changed.length === 0 || first === undefined) return data;
  const rootId = first.rootId;
  const relevant = changed.filter((state) => state.rootId === rootId);
  if (relevant.length === 0) return data;
  const byId = new Map(relevant.map((state) => [state.jobId, state]));
  const present = new Set<string>();
  const pages = data.pages.map((page) => {
    const items = page.items.map((row) => {
      const state = byId.get(row.id);
      if (state === undefined) return row;
      present.add(row.id);
      return reconcileRow(row, state);
    });
    return items.some((row, index) => row !== page.items[index]) ? { ...page, items } : page;
  });
  let modified = pages.some((page, index) => page !== data.pages[index]);
  const last = pages[pages.length - 1];
  if (last !== undefined && last.page.nextCursor == null) {
    const additions = relevant
      .filter((state) => !present.has(state.jobId))
      .map(rowFromState)
      .filter((row): row is JobSummary => row !== undefined);
    if (additions.length > 0) {
      const items = [...last.items];
      for (const row of additions) insertSorted(items, row, compareOldestFirst);
      pages[pages.length - 1] = { ...last, items };
      modified = true;
    }
  }
  return modified ? { ...data, pages } : data;
}

export function mergeIntoDetail(detail: JobDetail, state: LiveJobState): JobDetail {
  return detail.id === state.jobId ? reconcileDetail(detail, state) : detail;
}

/** A live event as a row of GET /jobs/:id/events. */
export function eventRecordOf(streamId: string, event: JobEvent): JobEventRecord {
  return {
    id: streamId,
    jobId: event.jobId,
    type: event.type,
    attempt: event.attempt,
    at: iso(event.at),
    data: event.data,
  };
}

/** A live `log` event as a row of GET /jobs/:id/logs. */
export function logRecordOf(streamId: string, event: Extract<JobEvent, { type: "log" }>): JobLog {
  return {
    id: streamId,
    attempt: event.attempt,
    at: iso(event.at),
    level: event.data.level,
    message: event.data.message,
    fields: event.data.fields ?? {},
  };
}

/**
 * Appends records to an oldest-first, append-only list once its last page is loaded (until then
 * paging brings them); ids already present are skipped, so a replayed event is not shown twice.
 */
export function appendRecords<T extends { readonly id: string }, P extends Paged<T>>(
  data: InfinitePages<P>,
  records: readonly T[],
): InfinitePages<P> {
  const last = data.pages[data.pages.length - 1];
  if (records.length === 0 || last === undefined || last.page.nextCursor != null) return data;
  const seen = new Set<string>();
  for (const page of data.pages) for (const item of page.items) seen.add(item.id);
  const fresh = records.filter((record) => {
    if (seen.has(record.id)) return false;
    seen.add(record.id);
    return true;
  });
  if (fresh.length === 0) return data;
  const pages = [...data.pages];
  pages[pages.length - 1] = { ...last, items: [...last.items, ...fresh] };
  return { ...data, pages };
}
