export { Worker, type WorkerOptions } from "./sdk/worker.js";
export { TaskHandle, type SubmitOptions } from "./sdk/task-handle.js";
export { JobRef, type ResultOptions } from "./sdk/job-ref.js";
export type { TaskOptions, ThreadTaskOptions } from "./sdk/task-options.js";
export type { Context, LogLevel } from "./runtime/job-context.js";
export type { InputSchema, TaskHandler, TaskHooks, TaskOutcome } from "./runtime/task-definition.js";
export type { WorkerMetrics } from "./runtime/worker-runtime.js";
export type { ThreadContext, ThreadHandler } from "./runtime/thread-pool.js";
export {
  ConfigError,
  InvalidInputError,
  InvalidOptionError,
  JobNotFoundError,
  SerializationError,
  TaskCancelledError,
  TaskFailedError,
  TaskTimeoutError,
  UnknownTaskError,
  UpNextError,
  WaitTimeoutError,
  WorkerStateError,
  type Duration,
  type JobSnapshot,
  type JobOrigin,
  type JobStatus,
  type FailureReason,
  type StatusEvent,
  type JobEvent,
} from "@upnext/core";
