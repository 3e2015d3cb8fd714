/**
 * What the live stream has told us about each job, folded event by event: the latest accepted
 * state (by the rules of job-ordering.ts), the fields that came with it, the creation facts and
 * the latest progress. Every cached row is reconciled against this, so a REST response that was
 * computed before the history ingested the newest events cannot move a row backwards, and a job
 * whose `started` arrived before its `queued` still shows as active once its row is built.
 *
 * Bounded: at most MAX_TRACKED_JOBS jobs, each forgotten TRACKED_JOB_TTL_MS after its last event
 * (by then the history has ingested it and REST is the better source).
 */
import type { JobEvent, JobKind, JobStatus, JobSummary } from "@upnext/core";
import { isTerminal, jobKindOf } from "@upnext/core/rules";
import { type StatePoint, supersedes } from "./job-ordering.js";

export const MAX_TRACKED_JOBS = 10_000;
export const TRACKED_JOB_TTL_MS = 10 * 60_000;

/** The creation facts that travel once, with the event that creates the job. */
export interface CreationFacts {
  readonly createdAt: number;
  readonly kind: JobKind;
  readonly maxAttempts: number | null;
  readonly priority: number;
  /** The status the job was created in. */
  readonly status: JobStatus;
}

export interface LiveProgress {
  readonly value: number;
  readonly message: string | null;
  readonly attempt: number;
  readonly at: number;
}

export interface LiveCheckpoint {
  readonly data: unknown;
  readonly at: number;
}

/** Fields of a row that change with its status (the rest are creation facts or identity). */
export type StatusFields = Partial<
  Pick<
    JobSummary,
    | "workerId"
    | "failureReason"
    | "errorMessage"
    | "scheduledAt"
    | "startedAt"
    | "finishedAt"
    | "queueWaitMs"
    | "durationMs"
  >
>;

export interface LiveJobState {
  readonly jobId: string;
  readonly function: string;
  readonly rootId: string;
  readonly parentId: string | null;
  readonly tags: Readonly<Record<string, string>> | undefined;
  readonly point: StatePoint | undefined;
  readonly fields: StatusFields;
  readonly creation: CreationFacts | undefined;
  readonly progress: LiveProgress | undefined;
  readonly checkpoint: LiveCheckpoint | undefined;
  /** When the last event for the job was folded in (the clock of this page, for expiry). */
  readonly seenAt: number;
}

const STATUS_OF_EVENT: Partial<Record<JobEvent["type"], JobStatus>> = {
  queued: "queued",
  scheduled: "scheduled",
  waiting: "waiting",
  started: "active",
  retrying: "retrying",
  completed: "complete",
  failed: "failed",
  cancelled: "cancelled",
};

/** The status an event moves its job to, or undefined for events that carry no state change. */
export function statusOfEvent(event: JobEvent): JobStatus | undefined {
  return STATUS_OF_EVENT[event.type];
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function creationOf(event: JobEvent): CreationFacts | undefined {
  if (event.type !== "queued" && event.type !== "scheduled" && event.type !== "waiting") return undefined;
  const data = event.data;
  // Only the creating event carries the creation fields (maxAttempts among them).
  if (data.maxAttempts === undefined) return undefined;
  return {
    createdAt: event.at,
    kind: jobKindOf(data.origin),
    maxAttempts: data.maxAttempts,
    priority: data.priority ?? 0,
    status: STATUS_OF_EVENT[event.type] ?? "queued",
  };
}

function fieldsOf(event: JobEvent): StatusFields {
  switch (event.type) {
    case "queued":
      return { workerId: null, startedAt: null };
    case "scheduled":
      return { scheduledAt: iso(event.data.runAt) };
    case "started":
      return {
        workerId: event.workerId,
        startedAt: iso(event.data.startedAt),
        queueWaitMs: event.data.queueWaitMs,
        finishedAt: null,
        durationMs: null,
      };
    case "retrying":
      return {
        errorMessage: event.data.error.message,
        failureReason: event.data.reason,
        scheduledAt: iso(event.data.retryAt),
      };
    case "completed":
      return { finishedAt: iso(event.at), durationMs: event.data.durationMs };
    case "failed":
      return {
        finishedAt: iso(event.at),
        durationMs: event.data.durationMs ?? null,
        errorMessage: event.data.error.message,
        failureReason: event.data.reason,
      };
    case "cancelled":
      return { finishedAt: iso(event.at) };
    default:
      return {};
  }
}

/** Folds one event into a job's state (a new state object; the old one is untouched). */
export function foldEvent(previous: LiveJobState | undefined, event: JobEvent, now: number): LiveJobState {
  let state: LiveJobState = previous ?? {
    jobId: event.jobId,
    function: event.function,
    rootId: event.rootId,
    parentId: event.parentId,
    tags: undefined,
    point: undefined,
    fields: {},
    creation: undefined,
    progress: undefined,
    checkpoint: undefined,
    seenAt: now,
  };
  state = {
    ...state,
    seenAt: now,
    tags: event.tags ?? state.tags,
    creation: state.creation ?? creationOf(event),
  };
  const status = statusOfEvent(event);
  if (status !== undefined) {
    const point: StatePoint = { status, attempt: event.attempt, at: event.at };
    if (state.point === undefined || supersedes(point, state.point)) {
      // Fields of an earlier attempt (its start, its worker) do not describe the new one, but
      // the error of the last failed attempt stays until another replaces it.
      const sameAttempt = state.point?.attempt === point.attempt;
      const base: StatusFields = sameAttempt
        ? state.fields
        : { errorMessage: state.fields.errorMessage, failureReason: state.fields.failureReason };
      state = { ...state, point, fields: { ...base, ...fieldsOf(event) } };
    }
    return state;
  }
  if (event.type === "progress") {
    if (state.point !== undefined && isTerminal(state.point.status)) return state;
    const progress: LiveProgress = {
      value: event.data.progress,
      message: event.data.message ?? null,
      attempt: event.attempt,
      at: event.at,
    };
    const current = state.progress;
    const newer =
      current === undefined ||
      progress.attempt > current.attempt ||
      (progress.attempt === current.attempt && progress.at >= current.at);
    return newer ? { ...state, progress } : state;
  }
  if (event.type === "checkpoint") {
    if (state.checkpoint !== undefined && state.checkpoint.at > event.at) return state;
    // The same shape the history stores (and GET /jobs/:id returns): the version with the state.
    return {
      ...state,
      checkpoint: { data: { version: event.data.version, state: event.data.state ?? null }, at: event.at },
    };
  }
  return state;
}

/** The per-job states, bounded in count and age. */
export class LiveJobStates {
  private readonly states = new Map<string, LiveJobState>();

  constructor(
    private readonly maxJobs = MAX_TRACKED_JOBS,
    private readonly ttlMs = TRACKED_JOB_TTL_MS,
  ) {}

  get size(): number {
    return this.states.size;
  }

  get(jobId: string): LiveJobState | undefined {
    return this.states.get(jobId);
  }

  apply(event: JobEvent, now: number): LiveJobState {
    const next = foldEvent(this.states.get(event.jobId), event, now);
    // Re-inserting keeps the Map in least-recently-seen order for eviction.
    this.states.delete(event.jobId);
    this.states.set(event.jobId, next);
    this.evict(now);
    return next;
  }

  private evict(now: number): void {
    for (const [jobId, state] of this.states) {
      if (this.states.size <= this.maxJobs && now - state.seenAt <= this.ttlMs) break;
      this.states.delete(jobId);
    }
  }

  clear(): void {
    this.states.clear();
  }
}
