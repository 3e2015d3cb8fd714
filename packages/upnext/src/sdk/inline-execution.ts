/**
 * `task.execute(input, options)`: one attempt of a task run in this process, with no queue, no
 * Redis and no worker — for tests and scripts (see docs/testing.md). The attempt goes through the
 * same JobExecution a worker uses (input parsing, hooks, timeout, abort signal, result encoding),
 * with an InlineContext that records what the job reports and returns it.
 */
import {
  InvalidOptionError,
  parseDuration,
  toErrorInfo,
  type Duration,
  type ErrorInfo,
  type FailureReason,
  type JobOrigin,
} from "@upnext/core";
import type { ClaimedJob, NewJob } from "../backend/queue-backend.js";
import { InlineContext, type InlineRecord } from "../runtime/execution/inline-context.js";
import type { ParentResult } from "../runtime/execution/context.js";
import { JobExecution, type ExecutionEnd } from "../runtime/execution/job-execution.js";
import { rootLogger, type Logger } from "../runtime/observability/logger.js";
import type { TaskDefinition, TaskOutcome } from "../runtime/execution/task-definition.js";
import { ThreadPool } from "../runtime/threads/thread-pool.js";

export interface ExecuteOptions {
  /** Aborting it cancels the run: `ctx.signal` aborts and the run ends as "cancelled". */
  readonly signal?: AbortSignal;
  /** This run's time limit (default: the task's `timeout`). */
  readonly timeout?: Duration;
  /** The attempt to run as (default 1): below the task's attempt budget a failure is "retrying". */
  readonly attempt?: number;
  readonly tags?: Readonly<Record<string, string>>;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly priority?: number;
  /** What `ctx.origin` says (a cron slot, an event delivery, a replay). */
  readonly origin?: JobOrigin;
  /** A checkpoint an earlier attempt left: what `ctx.lastCheckpoint()` starts from. */
  readonly checkpoint?: { readonly state: unknown; readonly version?: number };
  /** What `ctx.parents()` answers (a DAG child tested alone). */
  readonly parents?: readonly ParentResult[];
  /** Where `ctx.log` lines and hook warnings go as well (default: the UPNEXT_LOG_LEVEL logger). */
  readonly logger?: Logger;
}

export const EXECUTE_OPTION_NAMES = new Set([
  "signal",
  "timeout",
  "attempt",
  "tags",
  "metadata",
  "priority",
  "origin",
  "checkpoint",
  "parents",
  "logger",
]);

/** How the attempt ended, as a worker would have decided it. */
export type InlineOutcome<O> =
  | { readonly status: "complete"; readonly result: O }
  /** Failed with attempts left: a worker would run it again at `nextAttemptAt` (onRetry ran). */
  | {
      readonly status: "retrying";
      readonly error: ErrorInfo;
      readonly reason: FailureReason;
      readonly nextAttemptAt: Date;
    }
  | { readonly status: "failed"; readonly error: ErrorInfo; readonly reason: FailureReason }
  | { readonly status: "cancelled" };

export type InlineRun<O> = InlineOutcome<O> &
  InlineRecord & {
    readonly jobId: string;
    readonly attempt: number;
    /** The tags as the handler left them (it may add some). */
    readonly tags: Readonly<Record<string, string>>;
  };

function checkAttempt(attempt: unknown, maxAttempts: number): number {
  if (typeof attempt !== "number" || !Number.isInteger(attempt) || attempt < 1 || attempt > maxAttempts) {
    throw new InvalidOptionError(
      "attempt",
      attempt,
      `use a whole number from 1 to the task's attempt budget (${maxAttempts})`,
    );
  }
  return attempt;
}

function checkpointOf(
  given: ExecuteOptions["checkpoint"],
  definition: TaskDefinition,
): ClaimedJob["checkpoint"] {
  if (given === undefined) return null;
  const version = given.version ?? definition.checkpointVersion;
  if (!Number.isInteger(version) || version < 1)
    throw new InvalidOptionError("checkpoint.version", version, "use a whole number >= 1");
  return { state: JSON.stringify(given.state ?? null), version };
}

/** The job a worker would have claimed for `prepared` (see TaskHandle.prepare). */
function claimedJob(prepared: NewJob, definition: TaskDefinition, options: ExecuteOptions): ClaimedJob {
  const timeoutMs = options.timeout === undefined ? null : parseDuration(options.timeout, "timeout");
  if (timeoutMs !== null && timeoutMs <= 0)
    throw new InvalidOptionError("timeout", options.timeout, "a timeout must be longer than zero");
  return {
    id: prepared.id,
    function: prepared.function,
    token: "inline",
    attempt: checkAttempt(options.attempt ?? 1, prepared.maxAttempts),
    deliveries: 1,
    input: prepared.input,
    maxAttempts: prepared.maxAttempts,
    parentId: prepared.parentId,
    rootId: prepared.rootId,
    tags: prepared.tags,
    metadata: prepared.metadata,
    timeoutMs,
    createdAt: prepared.createdAt,
    scheduledAt: null,
    checkpoint: checkpointOf(options.checkpoint, definition),
    priority: prepared.priority,
    idempotencyKey: null,
    origin: options.origin ?? null,
    parents: (options.parents ?? []).map((parent) => ({ id: parent.id, function: parent.function })),
    claimedAt: Date.now(),
  };
}

function outcomeOf<O>(end: ExecutionEnd): InlineOutcome<O> {
  if (end.kind !== "settle") return { status: "cancelled" };
  const { outcome, terminal } = end;
  if (terminal?.status === "complete") return { status: "complete", result: terminal.result as O };
  if (outcome.kind === "retry") {
    return {
      status: "retrying",
      error: end.failure?.error ?? toErrorInfo(new Error(outcome.error)),
      reason: outcome.reason,
      nextAttemptAt: new Date(outcome.retryAt),
    };
  }
  const failure = end.failure ?? { error: toErrorInfo(new Error("failed")), reason: "exception" as const };
  return { status: "failed", error: failure.error, reason: failure.reason };
}

/** The outcome onComplete receives; undefined while attempts remain (a worker would retry). */
function terminalOf(end: ExecutionEnd): TaskOutcome<unknown> | undefined {
  if (end.kind === "settle") return end.terminal ?? undefined;
  return { status: "cancelled" };
}

export async function executeInline<O>(
  definition: TaskDefinition,
  prepared: NewJob,
  options: ExecuteOptions,
): Promise<InlineRun<O>> {
  const logger = options.logger ?? rootLogger();
  const job = claimedJob(prepared, definition, options);
  let pool: ThreadPool | undefined;
  const execution = new JobExecution(job, definition, {
    workerId: "inline",
    logger,
    threadPool: () => {
      pool ??= new ThreadPool({ maxThreads: 1, logger });
      return pool;
    },
    createContext: (claimed, signal) =>
      new InlineContext(claimed, definition, signal, options.parents ?? [], logger),
  });
  const cancel = () => {
    execution.abort("cancel");
  };
  if (options.signal?.aborted) cancel();
  else options.signal?.addEventListener("abort", cancel, { once: true });
  let end: ExecutionEnd;
  try {
    end = await execution.run().catch((error: unknown) => execution.crashed(error));
  } finally {
    options.signal?.removeEventListener("abort", cancel);
    await pool?.close();
  }
  const ctx = execution.context;
  if (!(ctx instanceof InlineContext)) throw new Error("an inline run must report through an InlineContext");
  const terminal = terminalOf(end);
  const onComplete = definition.hooks.onComplete;
  if (terminal && onComplete) {
    try {
      await onComplete(ctx, terminal);
    } catch (error) {
      logger.warn(
        { jobId: job.id, function: job.function, hook: "onComplete", err: toErrorInfo(error) },
        "hook onComplete threw; the job's outcome is unchanged",
      );
    }
  }
  return { ...outcomeOf<O>(end), ...ctx.record, jobId: job.id, attempt: job.attempt, tags: { ...ctx.tags } };
}
