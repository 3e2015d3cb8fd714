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
  /** Effective submit time used to order a job with a priority (null: priority 0, FIFO stream). */
  readonly prioScore?: number | null | undefined;
  /** Bucket of a keyed rate limit (e.g. the tenant), computed from the input by the submitter. */
  readonly rateKey?: string | null | undefined;
  /** DAG parents that must be terminal before the job may run. */
  readonly dependsOn?: readonly ParentRef[] | undefined;
  readonly onParentFailure?: ParentFailurePolicy | undefined;
  /** W3C trace context of the job's submit span (`traceparent[ tracestate]`), when traced. */
  readonly trace?: string | null | undefined;
}

export type ParentFailurePolicy = "fail" | "skip" | "continue";

export interface ParentRef {
  readonly id: string;
  readonly function: string;
}

export type EnqueueResult =
  | { readonly created: true; readonly id: string; readonly status: "queued" | "scheduled" | "waiting" }
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
  readonly parents: readonly ParentRef[];
  readonly claimedAt: number;
  /** Read only by traced claims: the submit span's context, and the first attempt's (retries). */
  readonly trace?: string | null | undefined;
  readonly traceFirst?: string | null | undefined;
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
  /** Set when the function cannot be claimed from until then (paused, at its cap, rate limited). */
  readonly blockedUntil?: number | undefined;
  readonly blockedBy?: "paused" | "concurrency" | "rate" | undefined;
  /** Jobs put off by a rate limit (moved to the scheduled set, once each). */
  readonly deferred?: number | undefined;
}

/** A DAG child to resolve now that one of its parents ended. */
export interface DependentRef {
  readonly function: string;
  readonly id: string;
  readonly parentId: string;
  readonly parentOutcome: ParentOutcome;
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
  /** A retried first attempt's span context, kept on the job so later attempts link to it. */
  readonly traceFirst?: string | undefined;
}

/** "ok", or why the finish was discarded: the job's current status, or "gone". */
export type SettleResult = "ok" | "gone" | JobStatus;

export interface FinishResult {
  readonly results: SettleResult[];
  readonly next: ClaimResult;
  readonly dependents: DependentRef[];
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
  readonly dependents: DependentRef[];
}

export interface MovedJob {
  readonly id: string;
  readonly previous: JobStatus;
  readonly attempt: number;
  readonly parentId: string | null;
  readonly rootId: string;
  /** Only put off by a rate limit: its return to the queue is not news (no event). */
  readonly deferred: boolean;
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
  readonly dependents: DependentRef[];
}

export interface ClaimOptions {
  readonly workerId: string;
  readonly count: number;
  readonly leaseMs: number;
  readonly now: number;
  /** Free running slots: functions with a concurrency cap are claimed no further than this. */
  readonly runnable: number;
  /** Also read the jobs' trace context (only when spans are recorded). */
  readonly traced?: boolean | undefined;
}

export type ParentOutcome = "complete" | "failed" | "cancelled" | "missing";

export interface ResolveResult {
  readonly outcome: "pending" | "queued" | "scheduled" | "failed" | "cancelled" | "ignored";
  readonly attempt: number;
  readonly parentId: string | null;
  readonly rootId: string | null;
  /** The child's own dependents, when resolving settled it (failed or skipped): resolve them too. */
  readonly dependents: DependentRef[];
}

export interface WaitingJob {
  readonly id: string;
  readonly parents: readonly ParentRef[];
  /** Parents whose outcome the job has already recorded. */
  readonly recorded: readonly string[];
}

/** Outcome of an enqueue-time rate-limit reservation. */
export type RateReservation =
  { readonly ok: true; readonly runAt: number[] } | { readonly ok: false; readonly retryAt: number };

export interface RateSpec {
  readonly limit: number;
  readonly windowMs: number;
}

export interface SweepResult {
  readonly promoted: PromoteResult;
  readonly recovered: RecoveredJob[];
}

export interface QueueBackend {
  enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]>;
  claim(fn: string, options: ClaimOptions): Promise<ClaimResult>;
  /** Settles a batch of one function's jobs, then claims `claim.count` more in the same step. */
  finish(fn: string, requests: readonly FinishRequest[], claim: ClaimOptions): Promise<FinishResult>;
  /** Hands jobs back to the queue (shutdown): active -> queued, attempt given back. */
  release(fn: string, jobs: readonly HeldJob[]): Promise<SettleResult[]>;
  renewLeases(fn: string, ids: readonly string[], leaseMs: number): Promise<void>;
  /** `fn`, when known, saves looking the job's function up by id. */
  cancel(jobId: string, reason?: string, fn?: string): Promise<CancelResult>;
  promote(fn: string, now: number, limit: number): Promise<PromoteResult>;
  /** `defaultMaxDeliveries` applies to jobs that carry no limit of their own. */
  recover(fn: string, now: number, defaultMaxDeliveries: number, limit: number): Promise<RecoveredJob[]>;
  /** promote and recover in one step (what maintenance runs for each function it sweeps). */
  sweep(fn: string, now: number, defaultMaxDeliveries: number, limit: number): Promise<SweepResult>;
  updateRunningJob(fn: string, job: HeldJob, fields: Readonly<Record<string, string>>): Promise<boolean>;
  /** `fn`, when known, saves looking the job's function up by id. */
  getJob(jobId: string, fn?: string): Promise<JobSnapshot | undefined>;
  /** Marks the job as awaited and returns its current status (undefined when it does not exist). */
  watch(jobId: string, fn?: string): Promise<JobStatus | undefined>;
  functionOf(jobId: string): Promise<string | undefined>;
  /** Registers `child` on `parent`; returns "registered", or the parent's terminal status / "missing". */
  addDependent(parent: ParentRef, child: ParentRef): Promise<"registered" | "missing" | JobStatus>;
  /** Records that `parentId` ended with `outcome` on the waiting child, moving the child if that settles it. */
  resolveDependent(child: ParentRef, parentId: string, outcome: ParentOutcome): Promise<ResolveResult>;
  /** Jobs of `fn` waiting for parents since before `olderThan` (for the periodic reconciler). */
  waitingJobs(fn: string, olderThan: number, limit: number): Promise<WaitingJob[]>;
  /** Reserves enqueue-time rate-limit slots for `count` jobs of `fn` (one bucket: `rateKey` or the shared one). */
  reserveRate(
    fn: string,
    rateKey: string | null,
    count: number,
    rate: RateSpec,
    mode: "reject" | "delay",
  ): Promise<RateReservation>;
  /** Every function name that has ever been registered or enqueued to in this namespace. */
  knownFunctions(): Promise<string[]>;
  /** Ids of the workers whose registry record was refreshed at or after `seenSince` (ms). */
  liveWorkers(seenSince: number): Promise<string[]>;
  close(): Promise<void>;
}
