/**
 * Whether a job belongs in a filtered jobs list, decided on the client the way GET /jobs decides
 * on the server, so a live insert never puts a row into a list whose filters exclude it. Where
 * the client cannot decide exactly (free-text search), the answer is "unknown" and the caller
 * refetches that list instead of guessing.
 */
import type { JobSummary } from "@upnext/core";
import type { JobFilters } from "../api/job-filters.js";

export type Match = "yes" | "no" | "unknown";

function tagMatches(tags: Readonly<Record<string, string>>, pair: string): boolean {
  const colon = pair.indexOf(":");
  if (colon === -1) return Object.hasOwn(tags, pair);
  return tags[pair.slice(0, colon)] === pair.slice(colon + 1);
}

export function matchesFilters(row: JobSummary, filters: JobFilters): Match {
  if (filters.function !== undefined && row.function !== filters.function) return "no";
  if (filters.status !== undefined && filters.status.length > 0 && !filters.status.includes(row.status))
    return "no";
  if (filters.kind !== undefined && filters.kind.length > 0 && !filters.kind.includes(row.kind)) return "no";
  if (filters.parentId !== undefined && row.parentId !== filters.parentId) return "no";
  if (filters.rootId !== undefined && row.rootId !== filters.rootId) return "no";
  if (filters.workerId !== undefined && row.workerId !== filters.workerId) return "no";
  const created = Date.parse(row.createdAt);
  if (filters.from !== undefined && created < Date.parse(filters.from)) return "no";
  if (filters.to !== undefined && created >= Date.parse(filters.to)) return "no";
  for (const pair of filters.tag ?? []) if (!tagMatches(row.tags, pair)) return "no";
  if (filters.q !== undefined && filters.q !== "") return "unknown";
  return "yes";
}

/**
 * Whether a job that was not in the list when it was fetched can come to belong to it later
 * (its status, worker or tags change): only such lists need a refetch for a job whose creation
 * the stream did not show. Lists filtered only by facts fixed at creation cannot gain old jobs.
 */
export function canGainExistingJobs(filters: JobFilters): boolean {
  return (
    (filters.status !== undefined && filters.status.length > 0) ||
    filters.workerId !== undefined ||
    (filters.tag !== undefined && filters.tag.length > 0) ||
    (filters.q !== undefined && filters.q !== "")
  );
}

/** Newest first, as GET /jobs orders: by creation time, then id. */
export function compareNewestFirst(a: JobSummary, b: JobSummary): number {
  const byTime = Date.parse(b.createdAt) - Date.parse(a.createdAt);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Oldest first, as the tree timeline orders. */
export function compareOldestFirst(a: JobSummary, b: JobSummary): number {
  return -compareNewestFirst(a, b);
}
