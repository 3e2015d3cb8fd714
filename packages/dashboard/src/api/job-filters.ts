/**
 * The filters of a jobs list, as the Jobs page keeps them in its URL and as GET /jobs takes them.
 * The same object is part of the list's query key, so the live merge can tell which cached
 * lists a new or changed job belongs to (see live/job-list-match.ts).
 */
import type { JobKind, JobStatus } from "@upnext/core";
import type { QueryParams } from "./http.js";

export interface JobFilters {
  readonly function?: string;
  readonly status?: readonly JobStatus[];
  readonly kind?: readonly JobKind[];
  /** ISO time: created at or after. */
  readonly from?: string;
  /** ISO time: created before. */
  readonly to?: string;
  /** `key:value` pairs; a job must carry all of them. */
  readonly tag?: readonly string[];
  readonly parentId?: string;
  readonly rootId?: string;
  readonly workerId?: string;
  /** Free text the server matches against the id and the error message. */
  readonly q?: string;
}

/** Drops empty values so equal filters give equal query keys. */
export function normalizeJobFilters(filters: JobFilters): JobFilters {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filters) as [keyof JobFilters, unknown][]) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      if (value.length === 0) continue;
      out[key] = [...(value as string[])].sort();
      continue;
    }
    out[key] = typeof value === "string" ? value.trim() : value;
  }
  return out;
}

export function jobFiltersToParams(filters: JobFilters): QueryParams {
  return {
    function: filters.function,
    status: filters.status,
    kind: filters.kind,
    from: filters.from,
    to: filters.to,
    tag: filters.tag,
    parentId: filters.parentId,
    rootId: filters.rootId,
    workerId: filters.workerId,
    q: filters.q,
  };
}

export function hasJobFilters(filters: JobFilters): boolean {
  return Object.keys(normalizeJobFilters(filters)).length > 0;
}
