/**
 * A dead-letter entry: its shape, how it is read from a dead job's hash, the filters and cursors
 * that select entries, and how a replay is rebuilt from a dead job (no task definition needed).
 */
import {
  FAILURE_REASONS,
  InvalidOptionError,
  UpNextError,
  isFailureReason,
  type Config,
  type ErrorInfo,
  type FailureReason,
  type JobOrigin,
} from "@upnext/core";
import type { NewJob } from "../backend/queue-backend.js";
import type {
  DeadLetterPosition,
  PageCursor,
  PageOrder,
  ReplaySource,
  ScoreRange,
} from "../backend/dead-letter-store.js";
import { decodeJobRecord } from "../backend/job-record.js";

/** The job exists but is not in a dead-letter set (it did not fail, or its entry was trimmed). */
export class NotDeadLetteredError extends UpNextError {
  constructor(
    readonly jobId: string,
    readonly status: string,
  ) {
    super(
      "not_dead_lettered",
      `Job '${jobId}' is not dead-lettered (its status is '${status}'); only jobs that failed for good, within UPNEXT_DEAD_LETTER_RETENTION, are in the dead-letter set.`,
    );
  }
}

/** The entry was replayed before; replaying it again needs `force`. */
export class AlreadyReplayedError extends UpNextError {
  constructor(
    readonly jobId: string,
    readonly replayedAs: string,
  ) {
    super(
      "already_replayed",
      `Job '${jobId}' was already replayed as '${replayedAs}'; pass force (CLI: --force) to replay it again.`,
    );
  }
}

/** One dead-lettered job. Times are epoch milliseconds. */
export interface DeadLetterEntry {
  readonly jobId: string;
  readonly function: string;
  readonly reason: FailureReason;
  /** What the last attempt threw (for `lost`, why the lease was given up). */
  readonly error: ErrorInfo | null;
  /** Attempts the job used. */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly input: unknown;
  /** When the job died (its score in the dead-letter set). */
  readonly failedAt: number;
  readonly createdAt: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Where the dead job came from; a replay of a replay has `{ kind: "replay" }`. */
  readonly origin: JobOrigin | null;
  /** The id of the latest replay, when the entry was replayed. */
  readonly replayedAs: string | null;
  readonly replayedAt: number | null;
  /** How many times the entry was replayed (more than 1 only with `force`). */
  readonly replays: number;
}

export type TimeBound = Date | number;

export interface DeadLetterFilter {
  /** One function (task) only; default: every function of the namespace. */
  readonly function?: string;
  /** Only jobs that died at or after this time. */
  readonly since?: TimeBound;
  /** Only jobs that died before this time. */
  readonly before?: TimeBound;
  /**
   * Only jobs that died for this reason ("exception", "timeout", "lost", ...). The reason is
   * read from each job, so a filter on a rare reason reads through the whole time range.
   */
  readonly reason?: FailureReason;
}

function timeOf(option: string, value: TimeBound | undefined): number | null {
  if (value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new InvalidOptionError(option, value, "give a valid Date or epoch milliseconds");
  }
  return ms;
}

/** The time range a filter selects (typed errors for bad dates). */
export function rangeOf(filter: DeadLetterFilter): ScoreRange {
  const since = timeOf("since", filter.since);
  const before = timeOf("before", filter.before);
  if (since !== null && before !== null && since >= before) {
    throw new InvalidOptionError(
      "since",
      new Date(since).toISOString(),
      `since must be earlier than before (${new Date(before).toISOString()})`,
    );
  }
  return { since, before };
}

/** The reason a filter selects, or null for every reason (a typed error for an unknown one). */
export function reasonOf(filter: DeadLetterFilter): FailureReason | null {
  const reason: unknown = filter.reason;
  if (reason === undefined) return null;
  if (!isFailureReason(reason)) {
    throw new InvalidOptionError("reason", reason, `use one of ${FAILURE_REASONS.join(", ")}`);
  }
  return reason;
}

/** A list cursor: where the page starts, and which way it goes from there. */
export interface ListCursor extends PageCursor {
  readonly order: PageOrder;
}

/** Marks a cursor that pages towards newer entries (a `prevCursor`). */
const NEWER = "^";

export function encodeCursor(position: PageCursor, order: PageOrder = "older"): string {
  return `${order === "newer" ? NEWER : ""}${position.score}:${position.id}`;
}

export function parseCursor(text: unknown): ListCursor {
  if (typeof text === "string") {
    const order: PageOrder = text.startsWith(NEWER) ? "newer" : "older";
    const body = order === "newer" ? text.slice(NEWER.length) : text;
    const colon = body.indexOf(":");
    const score = body.slice(0, colon);
    const id = body.slice(colon + 1);
    if (colon > 0 && id.length > 0 && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(score)) return { score, id, order };
  }
  throw new InvalidOptionError(
    "cursor",
    text,
    "pass the nextCursor or prevCursor of a previous page unchanged",
  );
}

function intOr(text: string | null, fallback: number): number {
  const value = text === null ? Number.NaN : Number(text);
  return Number.isInteger(value) ? value : fallback;
}

function jsonObject(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Turns a dead job's stored hash into an entry; undefined when the hash has expired. */
export function entryOf(
  position: DeadLetterPosition,
  hash: Readonly<Record<string, string>>,
): DeadLetterEntry | undefined {
  const job = decodeJobRecord(position.id, hash);
  if (!job) return undefined;
  const replayedAt = hash.replayedAt === undefined ? Number.NaN : Number(hash.replayedAt);
  return {
    jobId: job.id,
    function: job.function || position.function,
    reason: job.failureReason ?? "exception",
    error: job.error ?? null,
    attempts: job.attempt,
    maxAttempts: job.maxAttempts,
    input: job.input,
    failedAt: Number(position.score),
    createdAt: job.createdAt,
    tags: job.tags,
    metadata: job.metadata,
    origin: job.origin,
    replayedAs: hash.replayedAs ?? null,
    replayedAt: Number.isFinite(replayedAt) ? replayedAt : null,
    replays: intOr(hash.replays ?? null, hash.replayedAs === undefined ? 0 : 1),
  };
}

/**
 * A new job for a dead one: same function, input, tags, metadata, priority, attempt budget and
 * lineage; a fresh attempt series (attempt 0, runs now), no idempotency key (the dead job still
 * holds it), and an origin that links it to the job it replays.
 */
export function replayJob(
  fn: string,
  id: string,
  replayId: string,
  source: ReplaySource,
  now: number,
  config: Config,
): NewJob {
  const parentId = source.parentId;
  const timeout = source.timeout === null ? Number.NaN : Number(source.timeout);
  const priority = intOr(source.priority, 0);
  return {
    id: replayId,
    function: fn,
    input: source.input,
    maxAttempts: Math.max(1, intOr(source.maxAttempts, 1)),
    maxDeliveries: Math.max(1, intOr(source.maxDeliveries, config.maxDeliveries)),
    priority,
    // A child keeps its place in its workflow; a top-level job's replay is a root of its own.
    parentId,
    rootId: parentId !== null ? (source.rootId ?? replayId) : replayId,
    idempotencyKey: null,
    runAt: null,
    timeoutMs: Number.isFinite(timeout) ? timeout : null,
    tags: jsonObject(source.tags) as Record<string, string>,
    metadata: jsonObject(source.metadata),
    createdAt: now,
    origin: { kind: "replay", replayOf: id },
    // Ordered like a fresh submit of that priority (see UPNEXT_PRIORITY_STEP).
    prioScore: priority === 0 ? null : now - priority * config.priorityStep,
    rateKey: source.rateKey,
  };
}
