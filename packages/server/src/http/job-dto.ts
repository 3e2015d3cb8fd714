/**
 * History rows as the REST contract shows them (@upnext/core api-contract/jobs.ts): epoch-ms
 * times become ISO-8601 UTC strings, JSON text becomes values, the reported parent stands in
 * until the parent's row links it.
 */
import {
  type ErrorInfo,
  JOB_LOG_LEVELS,
  type JobDetail,
  type JobEventRecord,
  type JobLink,
  type JobLog,
  type JobLogLevel,
  type JobSummary,
  errorInfoSchema,
} from "@upnext/core";
import type { JobLinkRow, JobSummaryRow } from "../store/job-queries.js";
import type { JobEventRow, JobRow } from "../store/schema.js";
import { isoTime, isoTimeOrNull } from "../lib/iso-time.js";

/** Stored JSON as a value; text that is not JSON (never written by ingest) comes back as is. */
export function parseStoredJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function objectOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function tagsOf(text: string | null): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(objectOf(parseStoredJson(text)))) {
    if (typeof value === "string") tags[key] = value;
  }
  return tags;
}

function stringsOf(text: string | null): string[] {
  const value = parseStoredJson(text);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

export function toJobSummary(row: JobSummaryRow): JobSummary {
  return {
    id: row.id,
    function: row.function,
    kind: row.kind,
    status: row.status,
    failureReason: row.failure_reason,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    priority: row.priority,
    parentId: row.parent_id ?? row.reported_parent_id,
    rootId: row.root_id,
    workerId: row.worker_id,
    progress: row.progress,
    progressMessage: row.progress_message,
    errorMessage: row.error_message,
    tags: tagsOf(row.tags),
    createdAt: isoTime(row.created_at),
    scheduledAt: isoTimeOrNull(row.scheduled_at),
    startedAt: isoTimeOrNull(row.started_at),
    finishedAt: isoTimeOrNull(row.finished_at),
    updatedAt: isoTime(row.updated_at),
    queueWaitMs: row.queue_wait_ms,
    durationMs: row.duration_ms,
  };
}

export function toJobLink(row: JobLinkRow): JobLink {
  return { id: row.id, function: row.function, status: row.status };
}

function errorOf(row: JobRow): ErrorInfo | null {
  const parsed = errorInfoSchema.safeParse(parseStoredJson(row.error));
  if (parsed.success) return parsed.data;
  return row.error_message === null ? null : { name: "Error", message: row.error_message };
}

export interface JobRelations {
  readonly dagParents: readonly JobLinkRow[];
  readonly childrenCount: number;
}

export function dependsOnOf(row: Pick<JobRow, "depends_on">): string[] {
  return stringsOf(row.depends_on);
}

export function toJobDetail(row: JobRow, relations: JobRelations): JobDetail {
  return {
    ...toJobSummary(row),
    deliveries: row.deliveries,
    idempotencyKey: row.idempotency_key,
    schedule: row.schedule,
    eventName: row.event_name,
    origin: parseStoredJson(row.origin),
    input: parseStoredJson(row.input),
    result: parseStoredJson(row.result),
    error: errorOf(row),
    metadata: objectOf(parseStoredJson(row.metadata)),
    checkpoint:
      row.checkpoint === null
        ? null
        : { data: parseStoredJson(row.checkpoint), at: isoTimeOrNull(row.checkpoint_at) },
    dependsOn: dependsOnOf(row),
    dagParents: relations.dagParents.map(toJobLink),
    childrenCount: relations.childrenCount,
  };
}

export function toJobEvent(row: JobEventRow): JobEventRecord {
  return {
    id: row.id,
    jobId: row.job_id,
    type: row.type,
    attempt: row.attempt,
    at: isoTime(row.at),
    data: parseStoredJson(row.data),
  };
}

function isLogLevel(value: unknown): value is JobLogLevel {
  return typeof value === "string" && (JOB_LOG_LEVELS as readonly string[]).includes(value);
}

export function toJobLog(row: JobEventRow): JobLog {
  const data = objectOf(parseStoredJson(row.data));
  return {
    id: row.id,
    attempt: row.attempt,
    at: isoTime(row.at),
    level: isLogLevel(data.level) ? data.level : "info",
    message: typeof data.message === "string" ? data.message : row.data,
    fields: objectOf(data.fields),
  };
}
