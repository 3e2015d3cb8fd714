/**
 * The history database's tables, as Kysely sees them. Times are epoch milliseconds (BIGINT) in
 * both dialects, so nothing depends on a session time zone; JSON values are stored as text.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";
import type { FailureReason, JobEventType, JobStatus } from "@upnext/core";

/** A JSON document stored as text. */
export type JsonText = string;

export const JOB_KINDS = ["task", "cron", "event", "replay"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export interface JobsTable {
  id: string;
  function: string;
  kind: JobKind;
  status: JobStatus;
  failure_reason: FailureReason | null;
  attempt: number;
  max_attempts: number | null;
  deliveries: number;
  priority: number;
  /** Foreign key to jobs.id: set only once the parent's row exists (see reported_parent_id). */
  parent_id: string | null;
  /** The parent the worker reported; kept so a child ingested before its parent is linked later. */
  reported_parent_id: string | null;
  root_id: string;
  /** JSON array of DAG parent ids. */
  depends_on: JsonText | null;
  idempotency_key: string | null;
  schedule: string | null;
  event_name: string | null;
  origin: JsonText | null;
  input: JsonText | null;
  result: JsonText | null;
  error: JsonText | null;
  /** error.message, kept apart for free-text search. */
  error_message: string | null;
  tags: JsonText | null;
  metadata: JsonText | null;
  progress: number;
  progress_message: string | null;
  /** When the stored progress was reported (the progress event's `at`). */
  progress_at: number | null;
  checkpoint: JsonText | null;
  checkpoint_at: number | null;
  worker_id: string | null;
  created_at: number;
  scheduled_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  queue_wait_ms: number | null;
  duration_ms: number | null;
  updated_at: number;
  /** Where the stored status sits in the job's lifecycle (see core's event-order.ts). */
  state_phase: number;
  /** When the event that set the stored status happened. */
  state_at: number;
}

export interface JobTagsTable {
  job_id: string;
  key: string;
  value: string;
}

export interface JobEventsTable {
  /** The status-stream entry id the event came from: the same event twice is one row. */
  id: string;
  job_id: string;
  type: JobEventType;
  attempt: number;
  at: number;
  data: JsonText;
}

export interface ArtifactsTable {
  id: string;
  job_id: string;
  name: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  storage_key: string;
  created_at: number;
}

export type PendingArtifactsTable = ArtifactsTable;

export const ROLLUP_OUTCOMES = [
  "submitted",
  "started",
  "complete",
  "failed",
  "cancelled",
  "retried",
] as const;
export type RollupOutcome = (typeof ROLLUP_OUTCOMES)[number];

/** The width of one job_rollups bucket: an hour. */
export const ROLLUP_BUCKET_MS = 3_600_000;

/**
 * Per hour (job_rollups) or minute (job_rollups_minute) and function: how many jobs reached each
 * outcome, for trends without scanning jobs.
 */
export interface JobRollupsTable {
  /** Start of the hour or minute, epoch ms. */
  bucket: number;
  function: string;
  outcome: RollupOutcome;
  count: ColumnType<number, number, number>;
  duration_ms_total: number;
  queue_wait_ms_total: number;
}

/** Per API instance, route and minute: counts and the latency histogram (docs/http-apis.md). */
export interface ApiRouteMinutesTable {
  api: string;
  method: string;
  route: string;
  /** Start of the minute, epoch ms. */
  minute: number;
  instance_id: string;
  count: number;
  s1xx: number;
  s2xx: number;
  s3xx: number;
  s4xx: number;
  s5xx: number;
  duration_ms_total: number;
  /** JSON `[bucket, count]` pairs (core/api-latency.ts). */
  buckets: JsonText;
}

/** A sampled slow or failed request; `id` is its status-stream entry id. */
export interface ApiRequestsTable {
  id: string;
  api: string;
  instance_id: string;
  method: string;
  route: string;
  status: number;
  duration_ms: number;
  request_id: string | null;
  trace_id: string | null;
  reason: "slow" | "failed";
  at: number;
}

export interface HistorySchema {
  jobs: JobsTable;
  job_tags: JobTagsTable;
  job_events: JobEventsTable;
  artifacts: ArtifactsTable;
  pending_artifacts: PendingArtifactsTable;
  job_rollups: JobRollupsTable;
  api_route_minutes: ApiRouteMinutesTable;
  api_requests: ApiRequestsTable;
  job_rollups_minute: JobRollupsTable;
}

/** The rollup table of each bucket size. */
export const ROLLUP_TABLES = { hour: "job_rollups", minute: "job_rollups_minute" } as const;
export type RollupTable = (typeof ROLLUP_TABLES)[keyof typeof ROLLUP_TABLES];

export type JobRow = Selectable<JobsTable>;
export type NewJobRow = Insertable<JobsTable>;
export type JobRowUpdate = Updateable<JobsTable>;
export type JobEventRow = Selectable<JobEventsTable>;
export type ArtifactRow = Selectable<ArtifactsTable>;
export type RollupRow = Selectable<JobRollupsTable>;
export type { FailureReason, Generated, JobStatus };
