/**
 * The Jobs page keeps its filters in the URL (shareable, and the runbook panels link to it).
 * Unknown or malformed values are dropped rather than sent to the server.
 */
import type { JobKind, JobStatus } from "@upnext/core";
import { JOB_KINDS, JOB_STATUSES } from "@upnext/core/rules";
import type { JobFilters } from "../../api/job-filters.js";

/** The filter choices: core's lists, so a new status or kind appears here by itself. */
export const JOB_STATUS_VALUES = JOB_STATUSES;
export const JOB_KIND_VALUES = JOB_KINDS;

function text(value: unknown): string | undefined {
  if (typeof value === "number") return String(value);
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function list(value: unknown): string[] {
  const values = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [];
  return values.map(text).filter((item): item is string => item !== undefined);
}

function isoTime(value: unknown): string | undefined {
  const raw = text(value);
  if (raw === undefined) return undefined;
  const at = Date.parse(raw);
  return Number.isFinite(at) ? new Date(at).toISOString() : undefined;
}

export function validateJobsSearch(search: Record<string, unknown>): JobFilters {
  const status = list(search.status).filter((value): value is JobStatus =>
    (JOB_STATUS_VALUES as readonly string[]).includes(value),
  );
  const kind = list(search.kind).filter((value): value is JobKind =>
    (JOB_KIND_VALUES as readonly string[]).includes(value),
  );
  const filters: JobFilters = {
    function: text(search.function),
    status: status.length > 0 ? status : undefined,
    kind: kind.length > 0 ? kind : undefined,
    from: isoTime(search.from),
    to: isoTime(search.to),
    tag: list(search.tag).length > 0 ? list(search.tag) : undefined,
    parentId: text(search.parentId),
    rootId: text(search.rootId),
    workerId: text(search.workerId),
    q: text(search.q),
  };
  return Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined));
}
