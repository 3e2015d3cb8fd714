/**
 * Runs one claimed job: input validation, hooks, the handler under its timeout and abort
 * signal, and the decision of what happens next (complete, retry, fail). The job's slot is
 * given back as soon as `run()` resolves, even when a handler ignores its abort signal.
 */
import {
  encodePayload,
  backoffDelay,
  toErrorInfo,
  type ErrorInfo,
  type FailureReason,
  type JobEvent,
} from "@upnext/core";
import type { ClaimedJob, FinishOutcome } from "../../backend/queue-backend.js";
import { jobEvent } from "../status/job-events.js";
import type { Context } from "./context.js";
import { JobContext, type JobContextDeps } from "./job-context.js";
import type { JobIdentity } from "../status/job-events.js";
import type { Logger } from "../observability/logger.js";
import { currentJob } from "./lineage.js";
import type { TaskDefinition, TaskOutcome } from "./task-definition.js";
import type { ThreadPool } from "../threads/thread-pool.js";

export type AbortKind = "timeout" | "cancel" | "shutdown";

/** The reason given to `ctx.signal` when the runtime aborts a job. */
export class JobAbortedError extends Error {
  constructor(
    readonly kind: AbortKind,
    message: string,
  ) {
    super(message);
    this.name = kind === "timeout" ? "TimeoutError" : "AbortError";
  }
}

export type ExecutionEnd =
  /** Store this outcome; publish `events` once stored. */
  | {
      readonly kind: "settle";
      readonly outcome: FinishOutcome;
      readonly events: JobEvent[];
      readonly terminal: TaskOutcome<unknown> | null;
      /** Why the attempt failed (retry and failed outcomes). */
      readonly failure?: { readonly error: ErrorInfo; readonly reason: FailureReason } | undefined;
    }
  /** Cancelled while running: the cancel already stored the terminal state. */
  | { readonly kind: "cancelled" }
  /** Aborted by shutdown: hand the job back to the queue. */
  | { readonly kind: "hand-back" };

/** The `ctx` a run reports through, plus the identity its status events carry. */
export interface ExecutionContext extends Context {
  identity(): JobIdentity;
  /** Sends a progress update held back by coalescing; called when the run ends. */
  flushProgress(): void;
}

interface BaseExecutionDeps {
  readonly workerId: string;
  readonly logger: Logger;
  readonly threadPool: () => ThreadPool;
  readonly random?: () => number;
}

/**
 * A queued job reports through a JobContext over the backend; an inline run (`task.execute`,
 * see sdk/inline-execution.ts) brings its own context that records instead of storing.
 */
export type ExecutionDeps = BaseExecutionDeps &
  (
    | JobContextDeps
    | { readonly createContext: (job: ClaimedJob, signal: () => AbortSignal) => ExecutionContext }
  );

type Attempt = { ok: true; value: unknown } | { ok: false; error: unknown };

export class JobExecution {
  // Created only when a handler reads ctx.signal (or a thread needs it): most jobs never do,
  // and an AbortController per job is a measurable share of a no-op job's cost.
  private controller: AbortController | undefined;
  private abortReason: JobAbortedError | undefined;
  private onAbort: ((reason: JobAbortedError) => void) | undefined;
  readonly context: ExecutionContext;
  readonly startedAt = Date.now();

  constructor(
    readonly job: ClaimedJob,
    readonly definition: TaskDefinition,
    private readonly deps: ExecutionDeps,
  ) {
    this.context =
      "createContext" in deps
        ? deps.createContext(job, () => this.signal)
        : new JobContext(job, definition, () => this.signal, deps);
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Why the job was aborted, if it was (a method: it changes while run() awaits). */
  abortedBy(): AbortKind | undefined {
    return this.abortReason?.kind;
  }

  abort(kind: AbortKind): void {
    if (this.abortReason) return;
    const messages: Record<AbortKind, string> = {
      timeout: `Job '${this.job.id}' exceeded its timeout of ${this.timeoutMs}ms.`,
      cancel: `Job '${this.job.id}' was cancelled.`,
      shutdown: `The worker is shutting down; job '${this.job.id}' is handed back to the queue.`,
    };
    const reason = new JobAbortedError(kind, messages[kind]);
    this.abortReason = reason;
    this.controller?.abort(reason);
    this.onAbort?.(reason);
  }

  get timeoutMs(): number {
    return this.job.timeoutMs ?? this.definition.timeoutMs;
  }

  private async hook(name: string, call: (() => void | Promise<void>) | undefined): Promise<void> {
    if (!call) return;
    try {
      // Inside the job's lineage, so a job submitted from a hook records this job as its parent.
      await currentJob.run({ jobId: this.job.id, rootId: this.job.rootId }, call);
    } catch (error) {
      this.deps.logger.warn(
        { jobId: this.job.id, function: this.job.function, hook: name, err: toErrorInfo(error) },
        `hook ${name} threw; the job's outcome is unchanged`,
      );
    }
  }

  async run(): Promise<ExecutionEnd> {
    try {
      return await this.execute();
    } finally {
      // Before the end's events are published: the last progress reported comes first.
      this.context.flushProgress();
    }
  }

  private async execute(): Promise<ExecutionEnd> {
    const { job, definition } = this;
    const ctx = this.context;
    const hooks = definition.hooks;

    let input: unknown;
    try {
      input = JSON.parse(job.input);
      if (definition.input) input = definition.input.parse(input);
    } catch (error) {
      // The input was valid when submitted, so a deploy changed the schema: retrying won't help.
      await this.hook("onFailure", hooks.onFailure && (() => hooks.onFailure?.(ctx, error)));
      return this.fail(toErrorInfo(error), "invalid_input");
    }

    await this.hook("onStart", hooks.onStart && (() => hooks.onStart?.(ctx)));
    // A cancel or shutdown that arrived during onStart: do not start the handler at all.
    if (this.abortedBy() === "cancel") return { kind: "cancelled" };
    if (this.abortedBy() === "shutdown") return { kind: "hand-back" };
    const attempt = await this.invoke(input);

    if (this.abortedBy() === "cancel") return { kind: "cancelled" };
    if (this.abortedBy() === "shutdown") return { kind: "hand-back" };

    if (attempt.ok) {
      let encoded: string;
      try {
        encoded = encodePayload(
          attempt.value,
          `The result of job '${job.id}'`,
          "result",
          definition.payloadLimit,
        );
      } catch (failure) {
        // Deterministic: the same handler will return the same unencodable (or as large) value again.
        await this.hook("onFailure", hooks.onFailure && (() => hooks.onFailure?.(ctx, failure)));
        return this.fail(toErrorInfo(failure), "exception");
      }
      await this.hook("onSuccess", hooks.onSuccess && (() => hooks.onSuccess?.(ctx, attempt.value)));
      // What readers of the job will see is the JSON round trip (a Date becomes a string); a
      // primitive survives it unchanged, so only objects need the second parse.
      const value: unknown = attempt.value ?? null;
      const result: unknown = value === null || typeof value !== "object" ? value : JSON.parse(encoded);
      return {
        kind: "settle",
        outcome: { kind: "complete", result: encoded },
        events: [this.event("completed", { result, durationMs: Date.now() - this.startedAt })],
        terminal: { status: "complete", result },
      };
    }

    const reason: FailureReason = this.abortedBy() === "timeout" ? "timeout" : "exception";
    const error = toErrorInfo(attempt.error);
    // A thread's result that cannot be copied back is as deterministic as an unencodable one.
    const retryable = error.code !== "result_not_clonable";
    if (retryable && job.attempt < job.maxAttempts) {
      const delayMs = backoffDelay(definition.backoff, job.attempt, this.deps.random);
      const retryAt = Date.now() + delayMs;
      await this.hook(
        "onRetry",
        hooks.onRetry && (() => hooks.onRetry?.(ctx, attempt.error, new Date(retryAt))),
      );
      return {
        kind: "settle",
        outcome: { kind: "retry", error: JSON.stringify(error), reason, retryAt },
        events: [this.event("retrying", { error, reason, retryAt, delayMs, nextAttempt: job.attempt + 1 })],
        terminal: null,
        failure: { error, reason },
      };
    }
    await this.hook("onFailure", hooks.onFailure && (() => hooks.onFailure?.(ctx, attempt.error)));
    return this.fail(error, reason);
  }

  /** The end of a job whose execution itself broke (a runtime bug): fail it, never loop. */
  crashed(error: unknown): ExecutionEnd {
    return this.fail(toErrorInfo(error), "exception");
  }

  private fail(error: ErrorInfo, reason: FailureReason): ExecutionEnd {
    return {
      kind: "settle",
      outcome: { kind: "failed", error: JSON.stringify(error), reason },
      events: [
        this.event("failed", { error, reason, durationMs: Date.now() - this.startedAt }),
        this.event("dead-lettered", { reason, error, attempts: this.job.attempt }),
      ],
      terminal: { status: "failed", error, reason },
      failure: { error, reason },
    };
  }

  private event<T extends "completed" | "retrying" | "failed" | "dead-lettered">(
    type: T,
    data: Parameters<typeof jobEvent<T>>[3],
  ): JobEvent {
    return jobEvent(type, this.context.identity(), this.deps.workerId, data);
  }

  /** Runs the handler until it settles or the job is aborted, whichever comes first. */
  private async invoke(input: unknown): Promise<Attempt> {
    const timer = setTimeout(() => {
      this.abort("timeout");
    }, this.timeoutMs);
    const aborted = new Promise<Attempt>((resolve) => {
      this.onAbort = (reason) => {
        resolve({ ok: false, error: reason });
      };
    });
    const work = currentJob.run({ jobId: this.job.id, rootId: this.job.rootId }, () =>
      this.start(input).then(
        (value): Attempt => ({ ok: true, value }),
        (error: unknown): Attempt => ({ ok: false, error }),
      ),
    );
    try {
      return await Promise.race([work, aborted]);
    } finally {
      clearTimeout(timer);
      this.onAbort = undefined;
    }
  }

  private start(input: unknown): Promise<unknown> {
    const { definition, job } = this;
    if (definition.thread) {
      const ctx = this.context;
      return this.deps.threadPool().run({
        modulePath: definition.thread.module,
        exportName: definition.thread.exportName,
        input,
        jobId: job.id,
        attempt: job.attempt,
        functionName: job.function,
        signal: this.signal,
        onMessage: (message) => {
          if (message.kind === "progress") ctx.progress(message.value, message.message);
          else if (message.kind === "log") ctx.log(message.level, message.message, message.fields);
          else ctx.recordMetric(message.name, message.value, message.labels);
        },
      });
    }
    const handler = definition.handler;
    if (!handler) return Promise.reject(new Error(`Task '${definition.name}' has no handler.`));
    try {
      return Promise.resolve(handler(input, this.context));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
