/**
 * Folds a job's newly ingested events into its history row: pure, no I/O, so the rules can be
 * read (and tested) in one place. The writer (ingest/history-writer.ts) gives it the stored row,
 * locked for the transaction, and writes back what it returns.
 *
 * - Status follows core's event-order.ts: a terminal status is never overwritten; otherwise the event
 *   with the greatest (rank, at) wins, and the same event twice changes nothing.
 * - Creation fields (input, maxAttempts, priority, idempotency key, metadata, origin, DAG
 *   parents) are set once, from whichever creation event arrives, before or after the others.
 * - Progress and checkpoints keep the newest by `at`; a start keeps the latest start's facts.
 * - Rollup outcomes are counted only for a change this fold made (see docs/server.md#ingest).
 */
import {
  type JobEvent,
  type JobStatus,
  UNRANKED,
  impliedPosition,
  isTerminal,
  jobKindOf,
  statusPosition,
  supersedes,
} from "@upnext/core";
import { ROLLUP_BUCKET_MS, type JobRow, type RollupOutcome } from "../store/schema.js";

/** Column limits of migration 0001 (PostgreSQL enforces them; SQLite does not). */
const MAX_TAG_KEY = 255;
const MAX_TAG_VALUE = 1_024;
const MAX_SHORT_TEXT = 255;
const MAX_IDEMPOTENCY_KEY = 512;

export interface IngestedEvent {
  /** The status-stream entry id: job_events.id. */
  readonly id: string;
  readonly event: JobEvent;
}

export interface RollupDelta {
  /** Start of the hour of `at`. */
  readonly bucket: number;
  /** When the outcome happened: the writer also counts it in its minute (job_rollups_minute). */
  readonly at: number;
  readonly function: string;
  readonly outcome: RollupOutcome;
  readonly count: number;
  readonly durationMs: number;
  readonly queueWaitMs: number;
}

export interface JobFold {
  readonly row: JobRow;
  /** The row differs from the stored one. */
  readonly changed: boolean;
  readonly rollups: readonly RollupDelta[];
  /** Tags that are new or changed, to upsert into job_tags. */
  readonly tags: Readonly<Record<string, string>>;
}

export interface FoldInput {
  /** The stored row, or undefined when this transaction created it. */
  readonly stored: JobRow | undefined;
  /** New events of the job, in stream order. */
  readonly events: readonly IngestedEvent[];
  /**
   * Entry ids of `started` and `retrying` events that are the first of their kind for their
   * attempt and time (not a re-publish of one already stored): only these are counted.
   */
  readonly countable: ReadonlySet<string>;
  readonly now: number;
}

type Row = { -readonly [K in keyof JobRow]: JobRow[K] };

export function foldJob(input: FoldInput): JobFold {
  const first = input.events[0];
  if (first === undefined) throw new Error("foldJob needs at least one event");
  const row: Row = input.stored ? { ...input.stored } : blankRow(first.event, input.now);
  const rollups: RollupDelta[] = [];
  const tags = mergeTags(row, input.events);
  const count = (outcome: RollupOutcome, at: number, durationMs = 0, queueWaitMs = 0): void => {
    rollups.push({
      bucket: Math.floor(at / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS,
      at,
      function: row.function,
      outcome,
      count: 1,
      durationMs,
      queueWaitMs,
    });
  };

  for (const { id, event } of input.events) {
    applyEnvelope(row, event);
    if (applyCreation(row, event)) count("submitted", row.created_at);

    const position = statusPosition(event);
    const moved =
      position !== undefined &&
      supersedes(position, { status: row.status, rank: row.state_phase, at: row.state_at });
    if (moved) {
      row.status = position.status;
      row.state_phase = position.rank;
      row.state_at = position.at;
      applyStatusFields(row, event);
      if (isTerminal(position.status)) count(outcomeOf(position.status), event.at, durationOf(event));
    } else if (position === undefined && row.state_phase === UNRANKED) {
      // Only a progress update or a log line so far: the job was running that attempt.
      const implied = impliedPosition(event);
      row.status = implied.status;
      row.state_phase = implied.rank;
      row.state_at = implied.at;
    }
    applyFacts(row, event, moved);

    if (input.countable.has(id)) {
      if (event.type === "started") count("started", event.at, 0, event.data.queueWaitMs);
      if (event.type === "retrying") count("retried", event.at);
    }
  }

  const changed = input.stored === undefined || differs(row, input.stored);
  if (changed) row.updated_at = input.now;
  return { row, changed, rollups, tags };
}

function blankRow(event: JobEvent, now: number): Row {
  return {
    id: event.jobId,
    function: event.function,
    kind: "task",
    status: "queued",
    failure_reason: null,
    attempt: 0,
    max_attempts: null,
    deliveries: 0,
    priority: 0,
    parent_id: null,
    reported_parent_id: event.parentId,
    root_id: event.rootId,
    depends_on: null,
    idempotency_key: null,
    schedule: null,
    event_name: null,
    origin: null,
    input: null,
    result: null,
    error: null,
    error_message: null,
    tags: null,
    metadata: null,
    progress: 0,
    progress_message: null,
    progress_at: null,
    checkpoint: null,
    checkpoint_at: null,
    worker_id: null,
    // Provisional until the creation event arrives: the earliest event seen.
    created_at: event.at,
    scheduled_at: null,
    started_at: null,
    finished_at: null,
    queue_wait_ms: null,
    duration_ms: null,
    updated_at: now,
    state_phase: UNRANKED,
    state_at: 0,
  };
}

/** Lineage, attempt and worker: carried by every event. */
function applyEnvelope(row: Row, event: JobEvent): void {
  row.attempt = Math.max(row.attempt, event.attempt);
  if (row.reported_parent_id === null && event.parentId !== null) row.reported_parent_id = event.parentId;
  if (row.worker_id === null && event.workerId !== null) row.worker_id = event.workerId;
  // Until the creation event fixes it, the row was created no later than its earliest event.
  if (row.max_attempts === null) row.created_at = Math.min(row.created_at, event.at);
}

/**
 * The job's tags at each event, merged into the stored ones (a later value wins); returns the
 * tags that are new or changed.
 */
function mergeTags(row: Row, events: readonly IngestedEvent[]): Record<string, string> {
  const changed: Record<string, string> = {};
  let merged: Record<string, string> | undefined;
  for (const { event } of events) {
    if (event.tags === undefined) continue;
    merged ??= row.tags === null ? {} : (JSON.parse(row.tags) as Record<string, string>);
    for (const [rawKey, rawValue] of Object.entries(event.tags)) {
      const key = clip(rawKey, MAX_TAG_KEY);
      const value = clip(rawValue, MAX_TAG_VALUE);
      if (merged[key] === value) continue;
      merged[key] = value;
      changed[key] = value;
    }
  }
  if (merged !== undefined && Object.keys(changed).length > 0) row.tags = JSON.stringify(merged);
  return changed;
}

/** The creation fields, once: true when this event is the one that recorded them. */
function applyCreation(row: Row, event: JobEvent): boolean {
  if (event.type !== "queued" && event.type !== "scheduled" && event.type !== "waiting") return false;
  const data = event.data;
  if (data.maxAttempts === undefined || row.max_attempts !== null) return false;
  row.max_attempts = data.maxAttempts;
  row.created_at = event.at;
  row.input = json(data.input);
  if (data.priority !== undefined) row.priority = data.priority;
  if (data.idempotencyKey != null) row.idempotency_key = clip(data.idempotencyKey, MAX_IDEMPOTENCY_KEY);
  if (data.metadata !== undefined) row.metadata = JSON.stringify(data.metadata);
  if (event.type === "waiting") row.depends_on = JSON.stringify(event.data.dependsOn);
  const origin = data.origin;
  if (origin !== undefined) {
    row.origin = JSON.stringify(origin);
    row.kind = jobKindOf(origin);
    if (origin.kind === "cron") row.schedule = clip(origin.schedule, MAX_SHORT_TEXT);
    if (origin.kind === "event") row.event_name = clip(origin.event, MAX_SHORT_TEXT);
  }
  return true;
}

/** What a status change brings with it (only when the event moved the job). */
function applyStatusFields(row: Row, event: JobEvent): void {
  switch (event.type) {
    case "scheduled":
      row.scheduled_at = event.data.runAt;
      return;
    case "retrying":
      row.scheduled_at = event.data.retryAt;
      row.error = JSON.stringify(event.data.error);
      row.error_message = clean(event.data.error.message);
      return;
    case "completed":
      row.result = json(event.data.result);
      row.finished_at = event.at;
      row.duration_ms = event.data.durationMs;
      row.error = null;
      row.error_message = null;
      row.failure_reason = null;
      row.progress = 1;
      row.progress_at = event.at;
      return;
    case "failed":
      row.error = JSON.stringify(event.data.error);
      row.error_message = clean(event.data.error.message);
      row.failure_reason = event.data.reason;
      row.finished_at = event.at;
      row.duration_ms = event.data.durationMs ?? null;
      return;
    case "cancelled":
      row.failure_reason = "cancelled";
      row.error_message = event.data.reason === undefined ? null : clean(event.data.reason);
      row.finished_at = event.at;
      return;
    default:
      return;
  }
}

/** Facts an event reports whether or not it moved the job, each kept newest-first. */
function applyFacts(row: Row, event: JobEvent, moved: boolean): void {
  switch (event.type) {
    case "started": {
      const { startedAt } = event.data;
      if (!moved && row.started_at !== null && startedAt <= row.started_at) return;
      row.started_at = startedAt;
      row.queue_wait_ms = event.data.queueWaitMs;
      row.deliveries = event.data.deliveries;
      if (event.workerId !== null) row.worker_id = event.workerId;
      // A new run starts its progress over; a newer report (already stored) stays.
      if (moved && !isTerminal(row.status) && (row.progress_at ?? -1) < event.at) {
        row.progress = 0;
        row.progress_message = null;
        row.progress_at = event.at;
      }
      return;
    }
    case "progress":
      if (isTerminal(row.status) || (row.progress_at ?? -1) >= event.at) return;
      row.progress = event.data.progress;
      row.progress_message = event.data.message === undefined ? null : clean(event.data.message);
      row.progress_at = event.at;
      return;
    case "checkpoint":
      if ((row.checkpoint_at ?? -1) >= event.at) return;
      row.checkpoint = JSON.stringify({ version: event.data.version, state: event.data.state ?? null });
      row.checkpoint_at = event.at;
      return;
    default:
      return;
  }
}

function outcomeOf(status: JobStatus): RollupOutcome {
  return status === "complete" ? "complete" : status === "failed" ? "failed" : "cancelled";
}

function durationOf(event: JobEvent): number {
  if (event.type === "completed") return event.data.durationMs;
  if (event.type === "failed") return event.data.durationMs ?? 0;
  return 0;
}

function differs(row: Row, stored: JobRow): boolean {
  for (const key of Object.keys(row) as (keyof JobRow)[]) {
    if (key !== "updated_at" && row[key] !== stored[key]) return true;
  }
  return false;
}

/** JSON text of a value; undefined (an absent result) is stored as null. */
function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** PostgreSQL text cannot hold NUL characters; nothing else is changed. */
function clean(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "") : text;
}

function clip(text: string, max: number): string {
  const cleaned = clean(text);
  return cleaned.length <= max ? cleaned : cleaned.slice(0, max);
}
