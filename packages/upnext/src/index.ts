export { Worker, type HealthServerOptions, type WorkerOptions, type WorkerSettings } from "./sdk/worker.js";
export { TaskHandle, type SubmitOptions } from "./sdk/task-handle.js";
export { JobRef, type ResultOptions } from "./sdk/job-ref.js";
export type { ExecuteOptions, InlineOutcome, InlineRun } from "./sdk/inline-execution.js";
export type {
  InlineRecord,
  RecordedArtifact,
  RecordedCheckpoint,
  RecordedLog,
  RecordedMetric,
  RecordedProgress,
} from "./runtime/execution/inline-context.js";
export { Functions, type FunctionState } from "./sdk/functions-admin.js";
export {
  Jobs,
  NotRetryableError,
  type FinishedJobRecord,
  type CancelOutcome,
  type RetryOptions,
  type RetryOutcome,
} from "./sdk/jobs-admin.js";
export { NamespaceClient, type StandaloneOptions } from "./runtime/namespace-client.js";
export type { FlowControlOptions, RateLimitOptions } from "./sdk/flow-control-options.js";
export {
  ScheduleNotFoundError,
  Schedules,
  type ScheduleInfo,
  type SchedulesOptions,
} from "./sdk/schedules.js";
export type {
  CronOptions,
  MissedRunPolicy,
  OverlapPolicy,
  ScheduleDefinition,
  ScheduleOptions,
  ScheduleSettings,
} from "./sdk/cron-definition.js";
export {
  AlreadyReplayedError,
  DeadLetters,
  NotDeadLetteredError,
  type DeadLetterBatchOptions,
  type DeadLetterEntry,
  type DeadLetterFilter,
  type DeadLetterListOptions,
  type DeadLetterPage,
  type DeadLetterProgress,
  type DeadLetterPurgeOptions,
  type DeadLetterPurgeResult,
  type DeadLetterPurgeJobsResult,
  type DeadLetterReplayAllOptions,
  type DeadLetterReplayAllResult,
  type DeadLetterReplayOptions,
  type DeadLetterReplayProgress,
  type DeadLettersOptions,
  type TimeBound,
} from "./sdk/dead-letters.js";
export {
  EventHandle,
  InvalidEventPayloadError,
  closeDefaultConnection,
  defineEvent,
  listSubscriptions,
  removeSubscription,
  type EventConnection,
  type EventHandlerOptions,
  type EventOptions,
  type SendOptions,
  type SendResult,
  type SubscriptionInfo,
} from "./sdk/events.js";
export { matchesPattern } from "./sdk/event-patterns.js";
export {
  firstCompleted,
  gather,
  mapTasks,
  submitMany,
  type FirstCompleted,
  type FirstCompletedOptions,
  type GatherOptions,
  type MapTasksOptions,
  type ResultsOf,
} from "./sdk/parallel.js";
export type { TaskOptions, ThreadTaskOptions } from "./sdk/task-options.js";
export { getConfig, loadEnvironmentConfig } from "./runtime/process-config.js";
export type { Context, LogLevel, ParentResult } from "./runtime/execution/context.js";
export {
  ArtifactUploadError,
  type Artifact,
  type ArtifactData,
  type ArtifactPutOptions,
  type JobArtifacts,
} from "./runtime/artifacts/artifact-uploader.js";
export type {
  InputSchema,
  TaskHandler,
  TaskHooks,
  TaskOutcome,
} from "./runtime/execution/task-definition.js";
export type { RedisOperation, WorkerMetrics } from "./runtime/worker-runtime.js";
export type { FunctionMetrics, HistogramSnapshot } from "./runtime/observability/job-stats.js";
export type { QueueDepthSample } from "./runtime/observability/queue-depth.js";
export {
  readQueueDepths,
  type DeadLetterGrowthOptions,
  type QueueDepth,
  type QueueDepthWithGrowth,
} from "./backend/redis/queue-depths.js";
export type { Readiness, ReadinessCheck, ReadinessCheckName } from "./runtime/observability/readiness.js";
export type { HealthEndpoint } from "./runtime/observability/health-server.js";
export type { ThreadContext, ThreadHandler } from "./runtime/threads/thread-protocol.js";
export {
  ConfigError,
  InvalidInputError,
  InvalidOptionError,
  JobNotFoundError,
  PayloadTooLargeError,
  SerializationError,
  TaskCancelledError,
  TaskFailedError,
  TaskTimeoutError,
  UnknownTaskError,
  UpNextError,
  RateLimitedError,
  WaitTimeoutError,
  WorkerStateError,
  type Duration,
  type JobSnapshot,
  type JobOrigin,
  type JobStatus,
  type FailureReason,
  type StatusEvent,
  type EventSentEvent,
  type JobEvent,
} from "@upnext/core";
