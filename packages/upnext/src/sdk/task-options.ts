/**
 * What a user may write when defining a task, and its validation: every option is checked at
 * definition time and a wrong one throws an InvalidOptionError naming it.
 */
import { fileURLToPath } from "node:url";
import {
  InvalidOptionError,
  parseDuration,
  payloadLimit,
  resolveBackoff,
  validateName,
  type BackoffOptions,
  type Config,
  type Duration,
} from "@upnext/core";
import type {
  InputSchema,
  TaskDefinition,
  TaskHandler,
  TaskHooks,
} from "../runtime/execution/task-definition.js";
import {
  FLOW_CONTROL_OPTION_NAMES,
  resolveFlowControl,
  type FlowControlOptions,
} from "./flow-control-options.js";

export interface TaskOptions<I = unknown, O = unknown> extends TaskHooks<O>, FlowControlOptions<I> {
  /** Extra attempts after the first failure (default 0). */
  readonly retries?: number;
  readonly backoff?: BackoffOptions;
  /** Per-attempt time limit (default UPNEXT_DEFAULT_TIMEOUT, 30m). */
  readonly timeout?: Duration;
  /** Schema the input must pass at submit time (anything with `parse`, e.g. a zod schema). */
  readonly input?: InputSchema<I>;
  /** Deliveries of one attempt before a job whose worker keeps dying is failed as `lost`. */
  readonly maxDeliveries?: number;
  /** Default priority of this task's jobs (integer; higher runs first). */
  readonly priority?: number;
  /** Progress coalescing thresholds for this task (default: the worker's). */
  readonly progress?: { readonly minDelta?: number; readonly minInterval?: Duration };
  /** Version of the checkpoint state this code writes and expects (default 1). */
  readonly checkpointVersion?: number;
  /** Turns a checkpoint written by another version into this version's shape. */
  readonly migrateCheckpoint?: (state: unknown, fromVersion: number) => unknown;
}

export interface ThreadTaskOptions<I = unknown, O = unknown> extends TaskOptions<I, O> {
  /** Runs the handler in a worker thread; timeout and cancel terminate the thread. */
  readonly isolate: "thread";
  /** The module exporting the handler: an absolute path or a file: URL (e.g. `new URL("./x.ts", import.meta.url)`). */
  readonly module: string | URL;
  /** The export to call (default "default"). */
  readonly export?: string;
}

const TASK_OPTION_NAMES = new Set([
  "retries",
  "backoff",
  "timeout",
  "input",
  "maxDeliveries",
  "priority",
  "progress",
  "checkpointVersion",
  "migrateCheckpoint",
  "onStart",
  "onSuccess",
  "onRetry",
  "onFailure",
  "onComplete",
  "isolate",
  "module",
  "export",
  ...FLOW_CONTROL_OPTION_NAMES,
]);

const HOOK_NAMES = ["onStart", "onSuccess", "onRetry", "onFailure", "onComplete"] as const;

export interface WorkerDefaults {
  readonly progressMinDelta: number;
  readonly progressMinIntervalMs: number;
  readonly maxDeliveries: number;
}

function wholeNumber(option: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(option, value, `use a whole number >= ${min}`);
  }
  return value;
}

export function checkPriority(option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || Math.abs(value) > 1_000_000) {
    throw new InvalidOptionError(option, value, "use a whole number between -1000000 and 1000000");
  }
  return value;
}

export function rejectUnknown(where: string, options: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new InvalidOptionError(
        `${where}.${key}`,
        (options as Record<string, unknown>)[key],
        `unknown option; known options are ${[...known].join(", ")}`,
      );
    }
  }
}

function modulePath(value: unknown): string {
  if (value instanceof URL) return fileURLToPath(value);
  if (typeof value === "string" && value.startsWith("file:")) return fileURLToPath(value);
  if (typeof value === "string" && value.startsWith("/")) return value;
  throw new InvalidOptionError(
    "module",
    value,
    "give an absolute path or a file: URL, e.g. new URL('./work.ts', import.meta.url)",
  );
}

export function defineTask(
  name: string,
  options: TaskOptions | ThreadTaskOptions,
  handler: TaskHandler<unknown, unknown> | undefined,
  config: Config,
  defaults: WorkerDefaults,
): TaskDefinition {
  validateName("task name", name);
  if (typeof options !== "object") throw new InvalidOptionError("options", options, "give an options object");
  rejectUnknown("options", options, TASK_OPTION_NAMES);
  const retries = wholeNumber("retries", options.retries ?? 0, 0);
  const timeoutMs = parseDuration(options.timeout ?? config.defaultTimeout, "timeout");
  if (timeoutMs <= 0)
    throw new InvalidOptionError("timeout", options.timeout, "a timeout must be longer than zero");
  const backoff = resolveBackoff(options.backoff);
  const maxDeliveries = wholeNumber("maxDeliveries", options.maxDeliveries ?? defaults.maxDeliveries, 1);
  const priority = checkPriority("priority", options.priority ?? 0);
  const flow = resolveFlowControl(options);
  const checkpointVersion = wholeNumber("checkpointVersion", options.checkpointVersion ?? 1, 1);
  if (options.input !== undefined && typeof (options.input as { parse?: unknown }).parse !== "function") {
    throw new InvalidOptionError(
      "input",
      "(object without parse)",
      "give a schema with a parse(value) method, such as a zod schema",
    );
  }
  for (const hook of [...HOOK_NAMES, "migrateCheckpoint"] as const) {
    const value: unknown = options[hook];
    if (value !== undefined && typeof value !== "function")
      throw new InvalidOptionError(hook, value, "give a function");
  }
  const progressMinDelta = options.progress?.minDelta ?? defaults.progressMinDelta;
  if (typeof progressMinDelta !== "number" || !(progressMinDelta >= 0 && progressMinDelta <= 1)) {
    throw new InvalidOptionError("progress.minDelta", progressMinDelta, "use a fraction between 0 and 1");
  }
  const progressMinIntervalMs =
    options.progress?.minInterval === undefined
      ? defaults.progressMinIntervalMs
      : parseDuration(options.progress.minInterval, "progress.minInterval");

  let thread: TaskDefinition["thread"];
  if ("isolate" in options) {
    // Checked at run time too: options often come from plain JavaScript.
    if ((options.isolate as string) !== "thread")
      throw new InvalidOptionError("isolate", options.isolate, 'the only isolation is "thread"');
    if (handler)
      throw new InvalidOptionError(
        "isolate",
        "thread",
        "a thread task takes its handler from `module`, not a function argument",
      );
    thread = { module: modulePath(options.module), exportName: options.export ?? "default" };
  } else if (typeof handler !== "function") {
    throw new InvalidOptionError(
      "handler",
      handler,
      "give the task's handler function as the third argument",
    );
  }

  return {
    name,
    kind: "task",
    handler,
    thread,
    maxAttempts: retries + 1,
    backoff,
    timeoutMs,
    input: options.input,
    maxDeliveries,
    priority,
    priorityStepMs: config.priorityStep,
    flow,
    hooks: {
      onStart: options.onStart,
      onSuccess: options.onSuccess,
      onRetry: options.onRetry,
      onFailure: options.onFailure,
      onComplete: options.onComplete,
    },
    progressMinDelta,
    progressMinIntervalMs,
    checkpointVersion,
    migrateCheckpoint: options.migrateCheckpoint,
    payloadLimit: payloadLimit(config),
    summary: {
      retries,
      backoff,
      timeoutMs,
      maxDeliveries,
      priority,
      checkpointVersion,
      hasInputSchema: options.input !== undefined,
      concurrency: flow.concurrency ?? null,
      routingGroup: flow.group?.name ?? null,
      groupMaxConcurrency: flow.group?.max ?? null,
      rateLimit: flow.rate
        ? {
            limit: flow.rate.text,
            keyed: flow.rate.key !== undefined,
            onEnqueue: flow.rate.onEnqueue ?? null,
          }
        : null,
      isolate: thread ? "thread" : "none",
    },
  };
}
