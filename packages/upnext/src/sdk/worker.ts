/**
 * The Worker: defines tasks and runs them. The same object serves producers (a process that
 * only submits jobs never starts it; its handles connect on first use) and workers (`start()`).
 */
import {
  InvalidOptionError,
  WorkerStateError,
  getConfig,
  parseDuration,
  validateName,
  type Config,
  type Duration,
  type OverflowStrategy,
} from "@upnext/core";
import type { RedisOptions } from "ioredis";
import { availableParallelism } from "node:os";
import { LazyConnection, type Connection } from "../runtime/connection.js";
import { CronScheduler } from "../runtime/cron-scheduler.js";
import type { Logger } from "../runtime/logger.js";
import { stopOnSignals } from "../runtime/shutdown-signals.js";
import type { TaskDefinition, TaskHandler } from "../runtime/task-definition.js";
import { WorkerRuntime, type RuntimeService, type WorkerMetrics } from "../runtime/worker-runtime.js";
import { DeadLetters } from "./dead-letters.js";
import { subscribe, type EventHandle, type EventHandlerOptions } from "./events.js";
import { defineSchedule, splitCronOptions, type CronOptions } from "./cron-definition.js";
import { Schedules } from "./schedules.js";
import { TaskHandle } from "./task-handle.js";
import { defineTask, rejectUnknown, type TaskOptions, type ThreadTaskOptions } from "./task-options.js";

export interface WorkerOptions {
  /** Name shown in the registry and dashboard (default "worker"). */
  readonly name?: string;
  /** Jobs run at once (default UPNEXT_CONCURRENCY). */
  readonly concurrency?: number;
  /** Jobs claimed ahead of free slots (default UPNEXT_PREFETCH). */
  readonly prefetch?: number;
  /** Redis URL (default UPNEXT_REDIS_URL). */
  readonly redis?: string;
  readonly redisOptions?: RedisOptions;
  readonly namespace?: string;
  readonly leaseDuration?: Duration;
  readonly shutdownTimeout?: Duration;
  readonly maxDeliveries?: number;
  /** Size of the thread pool for `isolate: "thread"` tasks (default: CPU count). */
  readonly threads?: number;
  /** Progress coalescing thresholds for every task of this worker. */
  readonly progress?: { readonly minDelta?: number; readonly minInterval?: Duration };
  readonly statusBuffer?: { readonly capacity?: number; readonly overflow?: OverflowStrategy };
  /** Stop gracefully on SIGINT/SIGTERM and exit (default true). */
  readonly handleSignals?: boolean;
  readonly logger?: Logger;
  /** Configuration to use instead of the environment's (mostly for tests). */
  readonly config?: Config;
}

const WORKER_OPTION_NAMES = new Set([
  "name",
  "concurrency",
  "prefetch",
  "redis",
  "redisOptions",
  "namespace",
  "leaseDuration",
  "shutdownTimeout",
  "maxDeliveries",
  "threads",
  "progress",
  "statusBuffer",
  "handleSignals",
  "logger",
  "config",
]);

function positiveInteger(option: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new InvalidOptionError(option, value, `use a whole number >= ${min}`);
  return value;
}

export class Worker {
  readonly name: string;
  private readonly config: Config;
  private readonly definitions = new Map<string, TaskDefinition>();
  private readonly handles = new Map<string, TaskHandle>();
  private readonly services: RuntimeService[] = [];
  /** Fires the cron schedules of this worker's tasks (code-defined and runtime ones). */
  private readonly scheduler: CronScheduler;
  private schedulesInstance: Schedules | undefined;
  private readonly connectionInstance: LazyConnection;
  private deadLettersInstance: DeadLetters | undefined;
  private runtime: WorkerRuntime | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private unregisterSignals: (() => void) | undefined;
  private readonly concurrency: number;
  private readonly prefetch: number;
  private readonly leaseMs: number;
  private readonly shutdownTimeoutMs: number;
  private readonly maxDeliveries: number;
  private readonly threads: number;
  private readonly progressMinDelta: number;
  private readonly progressMinIntervalMs: number;

  constructor(private readonly options: WorkerOptions = {}) {
    rejectUnknown("worker options", options, WORKER_OPTION_NAMES);
    this.config = options.config ?? getConfig();
    this.name = validateName("worker name", options.name ?? "worker");
    this.concurrency = positiveInteger("concurrency", options.concurrency ?? this.config.concurrency, 1);
    this.prefetch = positiveInteger("prefetch", options.prefetch ?? this.config.prefetch, 0);
    this.leaseMs = parseDuration(options.leaseDuration ?? this.config.leaseDuration, "leaseDuration");
    if (this.leaseMs < 300)
      throw new InvalidOptionError("leaseDuration", options.leaseDuration, "use at least 300ms");
    this.shutdownTimeoutMs = parseDuration(
      options.shutdownTimeout ?? this.config.shutdownTimeout,
      "shutdownTimeout",
    );
    this.maxDeliveries = positiveInteger(
      "maxDeliveries",
      options.maxDeliveries ?? this.config.maxDeliveries,
      1,
    );
    this.threads = positiveInteger("threads", options.threads ?? availableParallelism(), 1);
    this.progressMinDelta = options.progress?.minDelta ?? this.config.progressMinDelta;
    this.progressMinIntervalMs =
      options.progress?.minInterval === undefined
        ? this.config.progressMinInterval
        : parseDuration(options.progress.minInterval, "progress.minInterval");
    if (options.namespace !== undefined) validateName("namespace", options.namespace);
    this.connectionInstance = new LazyConnection({
      redis: this.options.redis,
      redisOptions: this.options.redisOptions,
      namespace: this.options.namespace,
      config: this.config,
      logger: this.options.logger,
      statusBuffer: {
        ...(this.options.statusBuffer?.capacity !== undefined
          ? { statusBufferSize: this.options.statusBuffer.capacity }
          : {}),
        ...(this.options.statusBuffer?.overflow !== undefined
          ? { statusOverflow: this.options.statusBuffer.overflow }
          : {}),
      },
    });
    this.scheduler = new CronScheduler({
      runsTask: (task) => this.definitions.has(task),
      prepareRun: (task, input, now, origin) => {
        const handle = this.handles.get(task);
        if (!handle) throw new WorkerStateError(`Worker '${this.name}' defines no task '${task}'.`);
        return handle.prepare(input, {}, now, origin);
      },
    });
    this.services.push(this.scheduler);
  }

  /** The shared connection, opened on first use. */
  get connection(): Connection {
    return this.connectionInstance.get();
  }

  /** Defines a task whose handler runs in this process. */
  task<I, O>(name: string, options: TaskOptions<I, O>, handler: TaskHandler<I, O>): TaskHandle<I, O>;
  /** Defines a task whose handler runs in a worker thread (timeout and cancel terminate it). */
  task<I, O>(name: string, options: ThreadTaskOptions<I, O>): TaskHandle<I, O>;
  task<I, O>(
    name: string,
    options: TaskOptions<I, O> | ThreadTaskOptions<I, O>,
    handler?: TaskHandler<I, O>,
  ): TaskHandle<I, O> {
    if (this.runtime)
      throw new WorkerStateError(`Task '${name}' must be defined before worker '${this.name}' starts.`);
    if (this.definitions.has(name)) {
      throw new InvalidOptionError(
        "task name",
        name,
        `a task with this name is already defined on worker '${this.name}'`,
      );
    }
    const definition = defineTask(
      name,
      options as TaskOptions | ThreadTaskOptions,
      handler as TaskHandler<unknown, unknown> | undefined,
      this.config,
      {
        progressMinDelta: this.progressMinDelta,
        progressMinIntervalMs: this.progressMinIntervalMs,
        maxDeliveries: this.maxDeliveries,
      },
    );
    const handle = new TaskHandle<I, O>(definition, () => this.connection);
    this.definitions.set(name, definition);
    this.handles.set(name, handle);
    return handle;
  }

  /**
   * Subscribes a handler to an event, or to every event matching a pattern (`*`: one segment,
   * `**`: any number; see docs/events.md). The handler is a task of this worker named
   * `options.name` (recommended: the subscription's stable identity).
   */
  on<P = unknown, O = unknown>(
    eventOrPattern: EventHandle<P> | string,
    options: EventHandlerOptions<P, O>,
    handler: TaskHandler<P, O>,
  ): TaskHandle<P, O> {
    return subscribe(this, eventOrPattern, options, handler);
  }

  /** Adds a service that runs while the worker runs (used by cron schedules and event subscriptions). */
  addService(service: RuntimeService): void {
    if (this.runtime)
      throw new WorkerStateError(`Services must be added before worker '${this.name}' starts.`);
    this.services.push(service);
  }

  /**
   * Defines a cron schedule and its task, both named `name` (the schedule's stable identity).
   * The schedule is stored in Redis when the worker starts (keeping its pause and cursor) and
   * fires on every worker that defines the task; see docs/cron.md.
   */
  cron<I = null, O = unknown>(
    name: string,
    expression: string,
    options: CronOptions<I, O>,
    handler: TaskHandler<I, O>,
  ): TaskHandle<I, O> {
    if (this.runtime)
      throw new WorkerStateError(
        `Cron schedule '${name}' must be defined before worker '${this.name}' starts.`,
      );
    if (typeof options !== "object" || Array.isArray(options))
      throw new InvalidOptionError("cron options", options, "give an options object (it may be empty)");
    const split = splitCronOptions(options);
    const schedule = defineSchedule(
      { ...split.schedule, name, task: name, cron: expression },
      "cron options",
    );
    const handle = this.task<I, O>(name, split.task as TaskOptions<I, O>, handler);
    this.scheduler.define(schedule);
    return handle;
  }

  /** Runtime management of the namespace's cron schedules, through this worker's connection. */
  get schedules(): Schedules {
    this.schedulesInstance ??= new Schedules(
      {},
      { connection: () => this.connection, task: (name) => this.handles.get(name) },
    );
    return this.schedulesInstance;
  }

  /** The namespace's dead-letter sets (list, show, replay, purge), through this worker's connection. */
  get deadLetters(): DeadLetters {
    this.deadLettersInstance ??= new DeadLetters({}, { connection: () => this.connection });
    return this.deadLettersInstance;
  }

  /** Every task defined on this worker, by name. */
  get tasks(): ReadonlyMap<string, TaskHandle> {
    return this.handles;
  }

  get started(): boolean {
    return this.runtime !== undefined;
  }

  get workerId(): string | undefined {
    return this.runtime?.workerId;
  }

  /** Registers the worker and starts claiming jobs. Resolves once it is running. */
  start(): Promise<void> {
    if (this.definitions.size === 0) {
      return Promise.reject(
        new WorkerStateError(`Worker '${this.name}' has no tasks; define one with worker.task(...) first.`),
      );
    }
    this.starting ??= (async () => {
      const runtime = new WorkerRuntime(
        this.connection,
        this.definitions,
        {
          name: this.name,
          concurrency: this.concurrency,
          prefetch: this.prefetch,
          leaseMs: this.leaseMs,
          shutdownTimeoutMs: this.shutdownTimeoutMs,
          maxDeliveries: this.maxDeliveries,
          threads: this.threads,
        },
        this.services,
      );
      this.runtime = runtime;
      await runtime.start();
      if (this.options.handleSignals !== false)
        this.unregisterSignals = stopOnSignals(() => this.stop("signal"));
    })();
    return this.starting;
  }

  /** Stops gracefully (see the shutdown docs) and closes the connection. Safe to call twice. */
  stop(reason = "stopped"): Promise<void> {
    this.stopping ??= (async () => {
      this.unregisterSignals?.();
      if (this.starting) await this.starting.catch(() => undefined);
      await this.runtime?.stop(reason);
      await this.connectionInstance.close();
    })();
    return this.stopping;
  }

  /** Runtime counters: status buffer, claims cache, lease recoveries, jobs by outcome. */
  metrics(): WorkerMetrics {
    if (!this.runtime) throw new WorkerStateError(`Worker '${this.name}' is not started.`);
    return this.runtime.metrics();
  }
}
