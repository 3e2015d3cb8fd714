/**
 * Rows for the read API's tests, inserted straight into the history tables (what ingest would
 * have written): jobs whose columns agree with their status, their tags, events and the hourly
 * rollups.
 */
import { type JobStatus, newJobId } from "@upnext/core";
import type { Kysely } from "kysely";
import type {
  HistorySchema,
  JobEventsTable,
  NewJobRow,
  RollupOutcome,
  RollupTable,
} from "../../src/store/schema.js";

export const HOUR_MS = 3_600_000;
/** Rows per multi-row INSERT: well under SQLite's bound-parameter limit for the jobs table. */
const INSERT_CHUNK = 200;

export interface SeedJob extends Partial<NewJobRow> {
  /** Tags, stored both in jobs.tags and in job_tags. */
  readonly tagMap?: Record<string, string>;
  readonly dependsOnIds?: readonly string[];
}

const QUEUE_WAIT_MS = 40;
const RUN_MS = 250;

/** A job row whose fields fit its status (a finished job has start/finish times and a duration...). */
export function jobRow(seed: SeedJob = {}): NewJobRow {
  const { tagMap, dependsOnIds, ...overrides } = seed;
  const createdAt = overrides.created_at ?? Date.now();
  const id = overrides.id ?? newJobId(createdAt);
  const status: JobStatus = overrides.status ?? "complete";
  const started = ["active", "complete", "failed", "retrying"].includes(status);
  const finished = ["complete", "failed", "cancelled"].includes(status);
  const startedAt = started ? createdAt + QUEUE_WAIT_MS : null;
  const finishedAt = finished ? (startedAt ?? createdAt) + RUN_MS : null;
  const failed = status === "failed";
  const error = failed
    ? { name: "Error", message: `boom in ${id}`, stack: `Error: boom in ${id}\n    at handler (task.ts:1:1)` }
    : null;
  return {
    id,
    function: "email.send",
    kind: "task",
    status,
    failure_reason: failed ? "exception" : status === "cancelled" ? "cancelled" : null,
    attempt: started || finished ? 1 : 0,
    max_attempts: 3,
    deliveries: started ? 1 : 0,
    priority: 0,
    parent_id: null,
    reported_parent_id: null,
    root_id: overrides.root_id ?? id,
    depends_on: dependsOnIds ? JSON.stringify(dependsOnIds) : null,
    idempotency_key: null,
    schedule: null,
    event_name: null,
    origin: null,
    input: JSON.stringify({ to: `user-${id}@example.com` }),
    result: status === "complete" ? JSON.stringify({ sent: true }) : null,
    error: error ? JSON.stringify(error) : null,
    error_message: error?.message ?? null,
    tags: tagMap ? JSON.stringify(tagMap) : null,
    metadata: JSON.stringify({ source: "seed" }),
    progress: status === "complete" ? 1 : 0,
    progress_message: null,
    checkpoint: null,
    checkpoint_at: null,
    worker_id: started ? "worker-1-abcdef01" : null,
    created_at: createdAt,
    scheduled_at: null,
    started_at: startedAt,
    finished_at: finishedAt,
    queue_wait_ms: started ? QUEUE_WAIT_MS : null,
    duration_ms: finished && startedAt !== null ? RUN_MS : null,
    updated_at: finishedAt ?? startedAt ?? createdAt,
    state_phase: 0,
    state_at: finishedAt ?? startedAt ?? createdAt,
    ...overrides,
  };
}

/** Inserts the jobs (parents before children, as given) and their tags; returns the rows. */
export async function insertJobs(db: Kysely<HistorySchema>, seeds: readonly SeedJob[]): Promise<NewJobRow[]> {
  const rows = seeds.map(jobRow);
  for (let index = 0; index < rows.length; index += INSERT_CHUNK) {
    await db
      .insertInto("jobs")
      .values(rows.slice(index, index + INSERT_CHUNK))
      .execute();
  }
  const tags = seeds.flatMap((seed, index) =>
    Object.entries(seed.tagMap ?? {}).map(([key, value]) => ({ job_id: rows[index]?.id ?? "", key, value })),
  );
  for (let index = 0; index < tags.length; index += INSERT_CHUNK) {
    await db
      .insertInto("job_tags")
      .values(tags.slice(index, index + INSERT_CHUNK))
      .execute();
  }
  return rows;
}

export type SeedEvent = Omit<JobEventsTable, "data"> & { readonly data: unknown };

export async function insertEvents(db: Kysely<HistorySchema>, events: readonly SeedEvent[]): Promise<void> {
  const rows = events.map((event) => ({ ...event, data: JSON.stringify(event.data) }));
  for (let index = 0; index < rows.length; index += INSERT_CHUNK) {
    await db
      .insertInto("job_events")
      .values(rows.slice(index, index + INSERT_CHUNK))
      .execute();
  }
}

export interface SeedRollup {
  readonly bucket: number;
  readonly function: string;
  readonly outcome: RollupOutcome;
  readonly count: number;
  readonly durationMsTotal?: number;
  readonly queueWaitMsTotal?: number;
}

/** Inserts rollups into the hourly table (default) or the minute one (the short windows read it). */
export async function insertRollups(
  db: Kysely<HistorySchema>,
  rollups: readonly SeedRollup[],
  table: RollupTable = "job_rollups",
): Promise<void> {
  const rows = rollups.map((rollup) => ({
    bucket: rollup.bucket,
    function: rollup.function,
    outcome: rollup.outcome,
    count: rollup.count,
    duration_ms_total: rollup.durationMsTotal ?? 0,
    queue_wait_ms_total: rollup.queueWaitMsTotal ?? 0,
  }));
  for (let index = 0; index < rows.length; index += INSERT_CHUNK) {
    await db
      .insertInto(table)
      .values(rows.slice(index, index + INSERT_CHUNK))
      .execute();
  }
}

export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}
