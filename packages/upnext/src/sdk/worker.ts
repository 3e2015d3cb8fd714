/**
 * The Worker: defines tasks and runs them. The same object serves producers (a process that
 * only submits jobs never starts it; its handles connect on first use) and workers (`start()`).
 */
import {
  InvalidOptionError,
  WorkerStateError,
  parseDuration,
  validateName,
  type Config,
  type Duration,
  type OverflowStrategy,
} from "@upnext/core";
import { getConfig } from "../runtime/process-config.js";
import type { RedisOptions } from "ioredis";
import { availableParallelism } from "node:os";
import type { Registry } from "prom-client";
import { LazyNamespaceClient, type NamespaceClient } from "../runtime/namespace-client.js";
import { CronScheduler } from "../runtime/cron/cron-scheduler.js";
import { startHealthServer, type HealthEndpoint } from "../runtime/observability/health-server.js";
import { rootLogger, type Logger } from "../runtime/observability/logger.js";
import { workerRegistry } from "../runtime/observability/prometheus-metrics.js";
import { checkReadiness, type Readiness } from "../runtime/observability/readiness.js";
import { settledWithin } from "../runtime/deadline.js";
import { stopOnSignals } from "../runtime/shutdown-signals.js";
import type { TaskDefinition, TaskHandler } from "../runtime/execution/task-definition.js";
import { WorkerRuntime, type RuntimeService, type WorkerMetrics } from "../runtime/worker-runtime.js";
import { DeadLetters } from "./dead-letters.js";
import { subscribe, subscriptionsOf, type EventHandle, type EventHandlerOptions } from "./events.js";
import {
  defineSchedule,
  splitCronOptions,
  type CronOptions,
  type ScheduleDefinition,
} from "./cron-definition.js";
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
  /** The status buffer's bounds (entries, bytes of JSON) and overflow strategy; see docs/status-events.md. */
  readonly statusBuffer?: {
    readonly capacity?: number;
    readonly maxBytes?: number;
    readonly overflow?: OverflowStrategy;
  };
  /** Stop gracefully on SIGINT/SIGTERM and exit (default true). */
  readonly handleSignals?: boolean;
  readonly logger?: Logger;
  /** Configuration to use instead of the environment's (mostly for tests). */
  readonly config?: Config;
  /**
   * Record OpenTelemetry spans for this worker's submits and runs when an SDK is registered
   * (default true; see docs/observability.md). false: never, even with an SDK.
   */
  readonly tracing?: boolean;
  /** How often the depth of this worker's queues is sampled for metrics (default "5s"). */
  readonly queueDepthInterval?: Duration;
}

/** A worker's resolved settings (options, else configuration), as `upnext inspect` reports them. */
export interface WorkerSettings {
  readonly concurrency: number;
  readonly prefetch: number;
  readonly leaseMs: number;
  readonly shutdownTimeoutMs: number;
  readonly maxDeliveries: number;
  readonly threads: number;
}

/** Where `worker.serveHealth()` listens. */
export interface HealthServerOptions {
  /** TCP port (0 picks a free one; the endpoint's `port` says which). */
  readonly port: number;
  /** Address (default: every interface, which Kubernetes probes need). */
  readonly host?: string;
  /**
   * Bearer token every request must carry (default UPNEXT_WORKER_HTTP_TOKEN; empty: none).
   * Prometheus and Kubernetes probes can send it as an `Authorization` header.
   */
  readonly token?: string;
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
  "tracing",
  "queueDepthInterval",
]);

/**
 * A stop takes at most the shutdown timeout (in-flight jobs) plus this (handing back, flushing
 * status events, closing connections); past it the connections are dropped, so a process exits
 * whatever state Redis is in (docs/shutdown-and-recovery.md).
 */
export const STOP_ALLOWANCE_MS = 5_000;
/** Kept out of the status flush for closing the connections (see Connection.close). */
const CLOSE_RESERVE_MS = 2_500;

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
  private readonly connectionInstance: LazyNamespaceClient;
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
  private readonly queueDepthIntervalMs: number;
  private registryInstance: Registry | undefined;
  private health: Promise<HealthEndpoint> | undefined;
  private healthServing: HealthEndpoint | undefined;

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
    this.queueDepthIntervalMs = parseDuration(options.queueDepthInterval ?? "5s", "queueDepthInterval");
    if (this.queueDepthIntervalMs < 10)
      throw new InvalidOptionError("queueDepthInterval", options.queueDepthInterval, "use at least 10ms");
    if (options.tracing !== undefined && typeof options.tracing !== "boolean")
      throw new InvalidOptionError("tracing", options.tracing, "use true or false");
    if (options.namespace !== undefined) validateName("namespace", options.namespace);
    this.connectionInstance = new LazyNamespaceClient({
      redis: this.options.redis,
      redisOptions: this.options.redisOptions,
      namespace: this.options.namespace,
      config: this.config,
      logger: this.options.logger,
      tracing: this.options.tracing,
      statusBuffer: {
        ...(this.options.statusBuffer?.capacity !== undefined
          ? { statusBufferSize: this.options.statusBuffer.capacity }
          : {}),
        ...(this.options.statusBuffer?.maxBytes !== undefined
          ? { statusBufferBytes: this.options.statusBuffer.maxBytes }
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
  get connection(): NamespaceClient {
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

  get settings(): WorkerSettings {
    return {
      concurrency: this.concurrency,
      prefetch: this.prefetch,
      leaseMs: this.leaseMs,
      shutdownTimeoutMs: this.shutdownTimeoutMs,
      maxDeliveries: this.maxDeliveries,
      threads: this.threads,
    };
  }

  /** The cron schedules defined in code on this worker (`worker.cron`), in definition order. */
  get cronSchedules(): readonly ScheduleDefinition[] {
    return this.scheduler.definitions;
  }

  /** The event subscriptions of this worker's handlers (`worker.on`): handler name and pattern. */
  get subscriptions(): readonly { readonly handler: string; readonly pattern: string }[] {
    return subscriptionsOf(this);
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
          queueDepthIntervalMs: this.queueDepthIntervalMs,
        },
        this.services,
      );
      this.runtime = runtime;
      await runtime.start();
      if (this.config.workerHttpPort !== null && !this.health)
        await this.serveHealth({ port: this.config.workerHttpPort });
      if (this.options.handleSignals !== false)
        this.unregisterSignals = stopOnSignals(() => this.stop("signal"));
    })();
    return this.starting;
  }

  /** Stops gracefully (see the shutdown docs) and closes the connection. Safe to call twice. */
  stop(reason = "stopped"): Promise<void> {
    this.stopping ??= (async () => {
      this.unregisterSignals?.();
      const deadline = Date.now() + this.shutdownTimeoutMs + STOP_ALLOWANCE_MS;
      const graceful = (async () => {
        if (this.starting) await this.starting.catch(() => undefined);
        await this.runtime?.stop(reason);
        // What is left of the allowance goes to flushing status events; QUITs need the rest.
        await this.connectionInstance.close(Math.max(0, deadline - Date.now() - CLOSE_RESERVE_MS));
      })();
      if (await settledWithin(graceful, deadline - Date.now())) {
        // Rethrows what went wrong in a stop that finished in time.
        await graceful;
      } else {
        this.connectionInstance.abort();
        (this.options.logger ?? rootLogger(this.config.logLevel)).error(
          { shutdownTimeoutMs: this.shutdownTimeoutMs, allowanceMs: STOP_ALLOWANCE_MS },
          "worker did not stop in time (is Redis reachable?); dropped its connections. Jobs it still held are re-delivered when their leases expire",
        );
      }
      // Last: probes see "not ready: shutting down" for as long as the stop takes.
      const health = this.health;
      this.health = undefined;
      this.healthServing = undefined;
      if (health) await health.then((endpoint) => endpoint.close()).catch(() => undefined);
    })();
    return this.stopping;
  }

  /**
   * Runtime figures: jobs by outcome (in total and by function, with duration and queue-wait
   * histograms), the status buffer, the claims cache, lease recoveries, Redis errors and the
   * last queue-depth sample. `/metrics` serves the same figures; see docs/observability.md.
   */
  metrics(): WorkerMetrics {
    if (!this.runtime) throw new WorkerStateError(`Worker '${this.name}' is not started.`);
    return this.runtime.metrics();
  }

  /**
   * This worker's Prometheus registry (prom-client; not the global one): every `upnext_*` metric,
   * read from `metrics()` at scrape time, plus the default process metrics. Register your own
   * metrics in it to serve them from `/metrics` too.
   */
  get prometheusRegistry(): Registry {
    this.registryInstance ??= workerRegistry(() => this.runtime?.metrics(), { workerName: this.name });
    return this.registryInstance;
  }

  /**
   * Whether the worker can take jobs: started, not shutting down, Redis answering, its registry
   * record fresh. What `GET /ready` answers.
   */
  readiness(): Promise<Readiness> {
    if (this.runtime && this.stopping === undefined) return this.runtime.readiness();
    return checkReadiness({
      store: undefined,
      started: this.runtime !== undefined,
      stopping: this.stopping !== undefined,
      lastBeatAt: 0,
      recordTtlMs: 0,
    });
  }

  /** The running health endpoint (from `serveHealth()` or UPNEXT_WORKER_HTTP_PORT), if any. */
  get healthEndpoint(): HealthEndpoint | undefined {
    return this.healthServing;
  }

  /**
   * Serves `GET /health` (liveness), `GET /ready` (readiness, 503 with the failed checks) and
   * `GET /metrics` (Prometheus text) until the worker stops. Started by `start()` itself when
   * UPNEXT_WORKER_HTTP_PORT is set. See docs/observability.md.
   */
  serveHealth(options: HealthServerOptions): Promise<HealthEndpoint> {
    if (this.health) {
      return Promise.reject(
        new WorkerStateError(
          `Worker '${this.name}' already serves its health endpoint; stop the worker first.`,
        ),
      );
    }
    if (
      typeof options !== "object" ||
      !Number.isInteger(options.port) ||
      options.port < 0 ||
      options.port > 65_535
    )
      return Promise.reject(
        new InvalidOptionError("port", options.port, "use a port number from 0 to 65535"),
      );
    const serving = startHealthServer({
      port: options.port,
      host: options.host,
      token: options.token ?? this.config.workerHttpToken,
      workerId: () => this.runtime?.workerId,
      readiness: () => this.readiness(),
      metrics: async () => {
        const registry = this.prometheusRegistry;
        return { contentType: registry.contentType, body: await registry.metrics() };
      },
    });
    this.health = serving;
    serving.then(
      (endpoint) => {
        if (this.health === serving) this.healthServing = endpoint;
      },
      () => {
        if (this.health === serving) this.health = undefined;
      },
    );
    return serving;
  }
}
