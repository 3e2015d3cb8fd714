/**
 * The storage contract of the queue. The Redis implementation lives in ./redis; a PostgreSQL
 * or in-memory backend implements the same interface. Every method that changes a job's
 * status is one atomic compare-and-set in the backend, following @upnext/core's status machine.
 */
import type { FailureReason, JobOrigin, JobSnapshot, JobStatus } from "@upnext/core";

export interface NewJob {
  readonly id: string;
  readonly function: string;
  /** The input, already JSON-encoded (encoded once, by the submitter). */
  readonly input: string;
  readonly maxAttempts: number;
  /** Deliveries of one attempt before a job whose lease keeps expiring fails as `lost`. */
  readonly maxDeliveries: number;
  readonly priority: number;
  readonly parentId: string | null;
  readonly rootId: string;
  readonly idempotencyKey: string | null;
  /** Due time (ms); null or <= now means "run now". */
  readonly runAt: number | null;
  readonly timeoutMs: number | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  readonly origin?: JobOrigin | undefined;
}

export type EnqueueResult =
  | { readonly created: true; readonly id: string; readonly status: "queued" | "scheduled" }
  /** The idempotency key already pointed at a live job: that job is returned. */
  | { readonly created: false; readonly id: string; readonly status: JobStatus };

export interface ClaimedJob {
  readonly id: string;
  readonly function: string;
  /** Fencing token of this claim: a finish with an older token is discarded. */
  readonly token: string;
  readonly attempt: number;
  readonly deliveries: number;
  readonly input: string;
  readonly maxAttempts: number;
  readonly parentId: string | null;
  readonly rootId: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number | null;
  readonly createdAt: number;
  readonly scheduledAt: number | null;
  readonly checkpoint: { readonly state: string; readonly version: number } | null;
  readonly priority: number;
  readonly idempotencyKey: string | null;
  readonly origin: JobOrigin | null;
  readonly claimedAt: number;
}

/** A stream entry that could not be turned into a job; it is acknowledged and reported. */
export interface BadEntry {
  readonly function: string;
  readonly entryId: string;
  readonly kind: "malformed" | "missing";
  readonly detail: string;
}

export interface ClaimResult {
  readonly jobs: ClaimedJob[];
  readonly bad: BadEntry[];
  /** Set when the queue ran dry: the newest entry id seen, to wait for anything newer. */
  readonly lastId: string | null;
}

export type FinishOutcome =
  | { readonly kind: "complete"; readonly result: string }
  | { readonly kind: "failed"; readonly error: string; readonly reason: FailureReason }
  | {
      readonly kind: "retry";
      readonly error: string;
      readonly reason: FailureReason;
      readonly retryAt: number;
    };

export interface FinishRequest {
  readonly id: string;
  readonly token: string;
  readonly outcome: FinishOutcome;
}

/** "ok", or why the finish was discarded: the job's current status, or "gone". */
export type SettleResult = "ok" | "gone" | JobStatus;

export interface FinishResult {
  readonly results: SettleResult[];
  readonly next: ClaimResult;
}

export interface HeldJob {
  readonly id: string;
  readonly token: string;
}

export interface CancelResult {
  readonly outcome: "cancelled" | "missing" | "terminal";
  readonly previous: JobStatus | null;
  readonly function: string | null;
  readonly attempt: number;
  readonly parentId: string | null;
  readonly rootId: string | null;
  readonly workerId: string | null;
}

export interface MovedJob {
  readonly id: string;
  readonly previous: JobStatus;
  readonly attempt: number;
  readonly parentId: string | null;
  readonly rootId: string;
}

export interface PromoteResult {
  readonly moved: MovedJob[];
  /** Due time of the earliest job still scheduled, if any. */
  readonly nextDue: number | null;
}

export interface RecoveredJob {
  readonly id: string;
  readonly outcome: "requeued" | "lost";
  readonly attempt: number;
  readonly deliveries: number;
  readonly parentId: string | null;
  readonly rootId: string;
  readonly workerId: string | null;
}

export interface ClaimOptions {
  readonly workerId: string;
  readonly count: number;
  readonly leaseMs: number;
  readonly now: number;
}

export interface QueueBackend {
  enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]>;
  claim(fn: string, options: ClaimOptions): Promise<ClaimResult>;
  /** Settles a batch of one function's jobs, then claims `claim.count` more in the same step. */
  finish(fn: string, requests: readonly FinishRequest[], claim: ClaimOptions): Promise<FinishResult>;
  /** Hands jobs back to the queue (shutdown): active -> queued, attempt given back. */
  release(fn: string, jobs: readonly HeldJob[]): Promise<SettleResult[]>;
  renewLeases(fn: string, ids: readonly string[], leaseMs: number): Promise<void>;
  cancel(jobId: string, reason?: string): Promise<CancelResult>;
  promote(fn: string, now: number, limit: number): Promise<PromoteResult>;
  /** `defaultMaxDeliveries` applies to jobs that carry no limit of their own. */
  recover(fn: string, now: number, defaultMaxDeliveries: number, limit: number): Promise<RecoveredJob[]>;
  updateRunningJob(fn: string, job: HeldJob, fields: Readonly<Record<string, string>>): Promise<boolean>;
  getJob(jobId: string): Promise<JobSnapshot | undefined>;
  /** Marks the job as awaited and returns its current status (undefined when it does not exist). */
  watch(jobId: string): Promise<JobStatus | undefined>;
  functionOf(jobId: string): Promise<string | undefined>;
  /** Every function name that has ever been registered or enqueued to in this namespace. */
  knownFunctions(): Promise<string[]>;
  close(): Promise<void>;
}
