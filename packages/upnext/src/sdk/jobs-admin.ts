/**
 * Operations on one job known only by its id, from any process (an admin script, the history
 * server): read it, cancel it, retry it. The id index (`<ns>:jobfn:<id>`) says which function
 * holds the job, so none of these scans the keyspace.
 */
import {
  JobNotFoundError,
  UpNextError,
  newJobId,
  validateJobId,
  type JobSnapshot,
  type JobStatus,
} from "@upnext/core";
import type { DeadLetterStore } from "../backend/dead-letter-store.js";
import { NamespaceClient, type StandaloneOptions } from "../runtime/namespace-client.js";
import { AlreadyReplayedError } from "./dead-letter-entry.js";
import { JobRef, cancelJob } from "./job-ref.js";
import { enqueueJobs } from "./job-submitter.js";
import { publishCreated, replayJobs } from "./replays.js";
import { rejectUnknown } from "./task-options.js";

/** The job is running, waiting or complete: only a failed or cancelled job can be retried. */
export class NotRetryableError extends UpNextError {
  constructor(
    readonly jobId: string,
    readonly status: JobStatus,
  ) {
    super(
      "not_retryable",
      `Job '${jobId}' cannot be retried: its status is '${status}'; only failed or cancelled jobs can be retried.`,
    );
  }
}

export interface CancelOutcome {
  /** false when the job had already finished: `job.status` says how. */
  readonly cancelled: boolean;
  /** The job as stored after the cancel. */
  readonly job: JobSnapshot;
}

export interface RetryOptions {
  /** Retry a job that was already retried (or replayed) before (default false: refused). */
  readonly force?: boolean;
}

export interface RetryOutcome {
  /** The new job. */
  readonly job: JobRef;
  /** Whether the original was in its function's dead-letter set (a retry is then its replay). */
  readonly deadLettered: boolean;
}

const RETRY_OPTIONS = new Set(["force"]);

/**
 * A finished job as a record kept outside the queue (the history server's), for `resubmit` once
 * the queue no longer holds it.
 */
export interface FinishedJobRecord {
  readonly id: string;
  readonly function: string;
  /** The input, JSON-encoded as it was stored. */
  readonly input: string;
  readonly maxAttempts: number;
  readonly priority: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Idempotency key of a job's resubmit: two at once (within UPNEXT_IDEMPOTENCY_TTL) make one job. */
export function resubmitKey(jobId: string): string {
  return `upnext:retry-of:${jobId}`;
}

export class Jobs {
  private readonly owned: boolean;
  private readonly connection: NamespaceClient;
  private readonly store: DeadLetterStore;

  /** Uses the given connection (e.g. `worker.connection`) or opens one from the options/environment. */
  constructor(source: NamespaceClient | StandaloneOptions = {}) {
    this.owned = !(source instanceof NamespaceClient);
    this.connection = source instanceof NamespaceClient ? source : new NamespaceClient(source);
    this.store = this.connection.deadLetters;
  }

  /** The job as stored now, or undefined when there is none (never existed, or expired). */
  async get(jobId: string): Promise<JobSnapshot | undefined> {
    return this.connection.backend.getJob(validateJobId(jobId));
  }

  /** A handle on the job (to wait for its result), or undefined when there is none. */
  async ref(jobId: string): Promise<JobRef | undefined> {
    const fn = await this.connection.backend.functionOf(validateJobId(jobId));
    return fn === undefined ? undefined : new JobRef(jobId, fn, () => this.connection);
  }

  /**
   * Cancels the job, as `JobRef.cancel` does: a waiting or queued job never runs; a running
   * job's handler sees its signal abort, its slot is freed, and a result it returns late is
   * discarded. Throws JobNotFoundError for an unknown (or expired) id.
   */
  async cancel(jobId: string, reason?: string): Promise<CancelOutcome> {
    validateJobId(jobId);
    const cancelled = await cancelJob(this.connection, jobId, reason);
    const job = await this.connection.backend.getJob(jobId);
    if (!job) throw new JobNotFoundError(jobId);
    return { cancelled, job };
  }

  /**
   * Runs a failed or cancelled job again as a new job: same function, input, tags, metadata,
   * priority, timeout and attempt budget, a fresh attempt series, `origin: { kind: "replay",
   * replayOf }`, and the original is marked with the new id (`replayedAs`). A dead-lettered job
   * is replayed exactly as `DeadLetters.replay` does. Throws JobNotFoundError, NotRetryableError
   * (status not failed or cancelled), or AlreadyReplayedError (retried before, without `force`).
   */
  async retry(jobId: string, options: RetryOptions = {}): Promise<RetryOutcome> {
    rejectUnknown("retry options", options, RETRY_OPTIONS);
    validateJobId(jobId);
    const fn = await this.connection.backend.functionOf(jobId);
    if (fn === undefined) throw new JobNotFoundError(jobId);
    const deadLettered = (await this.store.scoreOf(fn, jobId)) !== null;
    const [result] = await replayJobs(this.connection, this.store, fn, [jobId], {
      force: options.force === true,
      scope: "finished",
    });
    const outcome = result?.outcome ?? { kind: "missing" };
    switch (outcome.kind) {
      case "ok":
        return {
          job: new JobRef(result?.replayId ?? "", fn, () => this.connection),
          deadLettered,
        };
      case "replayed":
        throw new AlreadyReplayedError(jobId, outcome.replayedAs);
      case "not-dead":
        throw new NotRetryableError(jobId, outcome.status as JobStatus);
      case "missing":
        throw new JobNotFoundError(jobId);
    }
  }

  /**
   * Runs a finished job again from its record when the queue no longer holds it (past
   * UPNEXT_JOB_RETENTION): a new top-level job of the same function with the record's input,
   * tags, metadata, priority and attempt budget, and `origin: { kind: "retry", retryOf }`. The
   * function's own timeout applies, and a keyed rate limit counts it under no key. Unless `force`,
   * a second resubmit of the same job (within UPNEXT_IDEMPOTENCY_TTL) returns the first one's job
   * (`created: false`) instead of making another.
   */
  async resubmit(
    record: FinishedJobRecord,
    options: RetryOptions = {},
  ): Promise<{ readonly job: JobRef; readonly created: boolean }> {
    rejectUnknown("retry options", options, RETRY_OPTIONS);
    validateJobId(record.id);
    const now = Date.now();
    const id = newJobId(now);
    const { config } = this.connection;
    const job = {
      id,
      function: record.function,
      input: record.input,
      maxAttempts: Math.max(1, record.maxAttempts),
      maxDeliveries: config.maxDeliveries,
      priority: record.priority,
      parentId: null,
      rootId: id,
      idempotencyKey: options.force === true ? null : resubmitKey(record.id),
      runAt: null,
      timeoutMs: null,
      tags: record.tags,
      metadata: record.metadata,
      createdAt: now,
      origin: { kind: "retry" as const, retryOf: record.id },
      prioScore: record.priority === 0 ? null : now - record.priority * config.priorityStep,
    };
    const [result] = await enqueueJobs(this.connection, [job]);
    const created = result?.created ?? false;
    if (created) await publishCreated(this.connection, [job]);
    return { job: new JobRef(result?.id ?? id, record.function, () => this.connection), created };
  }

  async close(): Promise<void> {
    if (this.owned) await this.connection.close();
  }
}
