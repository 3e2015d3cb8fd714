/**
 * Typed errors. Every error has a stable `code` (for programs) and a message that says what
 * was wrong and what to do (for people).
 */

import type { FailureReason, JobStatus } from "./job-status.js";

export class UpNextError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  try {
    // JSON.stringify returns undefined for undefined, functions and symbols.
    const text = JSON.stringify(value) as string | undefined;
    return text ?? String(value);
  } catch {
    return String(value);
  }
}

/** An option given to a definition or a call is invalid. Thrown at definition or call time. */
export class InvalidOptionError extends UpNextError {
  constructor(
    readonly option: string,
    readonly value: unknown,
    readonly hint: string,
  ) {
    super("invalid_option", `Invalid ${option}: ${show(value)}; ${hint}.`);
  }
}

/** A job's input failed the task's schema. Nothing was enqueued. */
export class InvalidInputError extends UpNextError {
  constructor(
    readonly task: string,
    readonly issues: string,
    options?: ErrorOptions,
  ) {
    super("invalid_input", `Input for task '${task}' is invalid: ${issues}. Nothing was enqueued.`, options);
  }
}

/** A configuration value that must be right is not (the process should stop). */
export class ConfigError extends UpNextError {
  constructor(
    readonly variable: string,
    readonly value: string,
    hint: string,
  ) {
    super("invalid_config", `${variable}=${show(value)} is invalid: ${hint}.`);
  }
}

export class UnknownTaskError extends UpNextError {
  constructor(
    readonly task: string,
    readonly known: readonly string[],
  ) {
    super(
      "unknown_task",
      `No task named '${task}'. Known tasks: ${known.length > 0 ? known.join(", ") : "(none)"}.`,
    );
  }
}

export class JobNotFoundError extends UpNextError {
  constructor(readonly jobId: string) {
    super("job_not_found", `Job '${jobId}' does not exist (it may have expired after its retention period).`);
  }
}

/** Serialisable description of an error, as stored on a job and carried by events. */
export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  readonly code?: string | undefined;
}

export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      code: typeof code === "string" ? code : undefined,
    };
  }
  return { name: "Error", message: typeof error === "string" ? error : show(error) };
}

/** The job ended in `failed`. `error` is what the handler threw on its last attempt. */
export class TaskFailedError extends UpNextError {
  constructor(
    readonly jobId: string,
    readonly task: string,
    readonly error: ErrorInfo,
    readonly reason: FailureReason,
    readonly attempts: number,
    code = "task_failed",
  ) {
    super(
      code,
      `Job '${jobId}' of task '${task}' failed (${reason}) after ${attempts} attempt(s): ${error.message}`,
    );
  }
}

/** The job failed because its last attempt ran out of time. A subclass, so `instanceof TaskFailedError` still holds. */
export class TaskTimeoutError extends TaskFailedError {
  constructor(jobId: string, task: string, error: ErrorInfo, attempts: number) {
    super(jobId, task, error, "timeout", attempts, "task_timeout");
  }
}

export class TaskCancelledError extends UpNextError {
  constructor(
    readonly jobId: string,
    readonly task: string,
    readonly reason?: string,
  ) {
    super("task_cancelled", `Job '${jobId}' of task '${task}' was cancelled${reason ? `: ${reason}` : ""}.`);
  }
}

/** The caller's wait ran out; the job itself is untouched and may still finish. */
export class WaitTimeoutError extends UpNextError {
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
    readonly lastStatus: JobStatus | undefined,
  ) {
    super(
      "wait_timeout",
      `Stopped waiting for job '${jobId}' after ${timeoutMs}ms (its status was '${lastStatus ?? "unknown"}'); the job keeps running. Wait again or raise the timeout.`,
    );
  }
}

/**
 * A value could not be encoded as JSON, or JSON would change it (a handler's result, an input, a
 * checkpoint, metadata). `path` says where, when known ("input.items[3].when").
 */
export class SerializationError extends UpNextError {
  constructor(
    what: string,
    cause: unknown,
    readonly path?: string,
  ) {
    super(
      "not_serializable",
      `${what} is not JSON-serialisable (${cause instanceof Error ? cause.message : String(cause)}); use plain data: objects, arrays, strings, finite numbers, booleans or null (a Date becomes its ISO string).`,
      { cause },
    );
  }
}

/** A value's JSON encoding is over the configured size limit; nothing was stored. */
export class PayloadTooLargeError extends UpNextError {
  constructor(
    what: string,
    readonly bytes: number,
    readonly maxBytes: number,
    setting: string,
  ) {
    super(
      "payload_too_large",
      `${what} is ${bytes} bytes as JSON, over the limit of ${maxBytes} bytes (${setting}); nothing was stored. Keep large data elsewhere (an artifact, object storage) and pass a reference, or raise ${setting}.`,
    );
  }
}

/** A submit was refused by the task's enqueue-time rate limit. Retry at `retryAt`. */
export class RateLimitedError extends UpNextError {
  constructor(
    readonly task: string,
    readonly retryAt: Date,
    readonly limit: string,
  ) {
    super(
      "rate_limited",
      `Task '${task}' is rate limited (${limit}); the next submit is accepted at ${retryAt.toISOString()}.`,
    );
  }
}

export class WorkerStateError extends UpNextError {
  constructor(message: string) {
    super("worker_state", message);
  }
}
