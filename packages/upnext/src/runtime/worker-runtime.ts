/**
 * A started worker: wires the fetcher, processor, finisher, lease renewer, job sweep,
 * registration and stream sweep together, and takes them down in the order that loses nothing.
 */
import { newWorkerId } from "@upnext/core";
import type { NamespaceClient } from "./namespace-client.js";
import { ArtifactUploader } from "./artifacts/artifact-uploader.js";
import { DependencyResolver } from "./flow/dependency-resolver.js";
import { Fetcher } from "./execution/fetcher.js";
import { StreamSweep } from "./sweeps/stream-sweep.js";
import { JobProcessor, type ProcessorCounters } from "./execution/job-processor.js";
import { JobStats, type FunctionMetrics } from "./observability/job-stats.js";
import { LeaseRenewer } from "./execution/lease-renewer.js";
import type { Logger } from "./observability/logger.js";
import { JobSweep } from "./sweeps/job-sweep.js";
import { QueueDepthSampler, type QueueDepthSample } from "./observability/queue-depth.js";
import { checkReadiness, type Readiness } from "./observability/readiness.js";
import { Registration, workerRecordTtlMs } from "./registration.js";
import type { StatusPublisherMetrics } from "./status/status-publisher.js";
import type { TaskDefinition } from "./execution/task-definition.js";
import { ThreadPool } from "./threads/thread-pool.js";

/**
 * Something that runs beside a started worker (the cron scheduler, event subscriptions): started
 * once the worker is registered, stopped before its jobs are drained.
 */
export interface RuntimeService {
  readonly name: string;
  start(context: RuntimeServiceContext): Promise<void>;
  stop(): Promise<void>;
  readonly redisErrors?: RuntimeServiceErrors;
}

export interface RuntimeServiceContext {
  readonly workerId: string;
  readonly connection: NamespaceClient;
  readonly logger: Logger;
}

export interface RuntimeSettings {
  readonly name: string;
  readonly concurrency: number;
  readonly prefetch: number;
  readonly leaseMs: number;
  readonly shutdownTimeoutMs: number;
  readonly maxDeliveries: number;
  readonly threads: number;
  /** How often the depth of the worker's queues is sampled for metrics. */
  readonly queueDepthIntervalMs: number;
}

/** Where a worker's Redis round trips can fail, as counted in `redisErrors`. */
export type RedisOperation =
  | "claim"
  | "finish"
  | "renew_leases"
  | "release"
  | "maintenance"
  | "heartbeat"
  | "status_events"
  | "queue_depth"
  | "cron"
  | "event_subscriptions"
  | "dag_resolve";

/** A service's failed Redis round trips, counted under its operation in `redisErrors`. */
export interface RuntimeServiceErrors {
  readonly operation: RedisOperation;
  readonly count: number;
}

export interface WorkerMetrics {
  readonly workerId: string;
  /** Jobs running now. */
  readonly active: number;
  /** Jobs claimed ahead of a free slot, waiting to start. */
  readonly prefetched: number;
  /** Concurrency slots: the most jobs this worker runs at once. */
  readonly concurrency: number;
  readonly claimsCacheSize: number;
  readonly claimsCacheEvicted: number;
  /** Expired leases this worker re-queued (any function of the namespace). */
  readonly leaseRecoveries: number;
  /** Expired leases this worker failed as `lost` (delivered too often). */
  readonly lostJobs: number;
  readonly promoted: number;
  readonly statusBuffer: StatusPublisherMetrics;
  /** Totals over every function. */
  readonly jobs: Readonly<ProcessorCounters>;
  /** The same counters by function, with duration and queue-wait histograms. */
  readonly functions: Readonly<Record<string, FunctionMetrics>>;
  /** Failed Redis round trips by operation (each is retried or recovered from). */
  readonly redisErrors: Readonly<Record<RedisOperation, number>>;
  /** The last sample of the worker's queues (null until the first one). */
  readonly queueDepth: QueueDepthSample | null;
}

export class WorkerRuntime {
  readonly workerId: string;
  readonly processor: JobProcessor;
  private readonly fetcher: Fetcher;
  private readonly renewer: LeaseRenewer;
  private readonly jobSweep: JobSweep;
  private readonly registration: Registration;
  private readonly streamSweep: StreamSweep;
  private threadPool: ThreadPool | undefined;
  private readonly resolver: DependencyResolver;
  private readonly stats: JobStats;
  private readonly depth: QueueDepthSampler;
  private unsubscribeCancel: (() => void) | undefined;
  private readonly logger: Logger;
  private stopping = false;

  constructor(
    private readonly connection: NamespaceClient,
    definitions: ReadonlyMap<string, TaskDefinition>,
    private readonly settings: RuntimeSettings,
    private readonly services: readonly RuntimeService[] = [],
  ) {
    const { backend, publisher, config } = connection;
    this.workerId = newWorkerId(settings.name);
    this.logger = connection.logger.child({ worker: settings.name, workerId: this.workerId });
    const functions = [...definitions.keys()];
    this.resolver = new DependencyResolver(backend, publisher, this.workerId, this.logger);
    this.stats = new JobStats(functions);
    this.processor = new JobProcessor({
      stats: this.stats,
      tracing: connection.tracing,
      backend,
      publisher,
      definitions,
      workerId: this.workerId,
      concurrency: settings.concurrency,
      prefetch: settings.prefetch,
      leaseMs: settings.leaseMs,
      claimsMaxAgeMs: config.claimsCacheMaxAge,
      claimsSweepEvery: config.claimsCacheSweepEvery,
      logger: this.logger,
      onDependents: (dependents) => void this.resolver.resolve(dependents),
      executionDeps: {
        backend,
        publisher,
        workerId: this.workerId,
        logger: this.logger,
        artifacts: new ArtifactUploader({
          serverUrl: config.serverUrl,
          apiToken: config.apiToken,
          logger: this.logger,
        }),
        threadPool: () => {
          this.threadPool ??= new ThreadPool({ maxThreads: settings.threads, logger: this.logger });
          return this.threadPool;
        },
      },
    });
    this.fetcher = new Fetcher({
      backend,
      functions,
      streamKey: (fn) => backend.keysOf(fn).stream,
      workerId: this.workerId,
      leaseMs: settings.leaseMs,
      budget: this.processor,
      blockingClient: () => connection.duplicate(),
      // A safety net only: every way a job enters a queue adds a stream entry, which ends the wait.
      idleBlockMs: 30_000,
      logger: this.logger,
      traced: () => this.processor.traced(),
    });
    this.renewer = new LeaseRenewer(
      backend,
      () => this.processor.claims.byFunction(),
      settings.leaseMs,
      this.logger,
    );
    this.jobSweep = new JobSweep({
      backend,
      publisher,
      workerId: this.workerId,
      ownFunctions: functions,
      intervalMs: config.promoteInterval,
      defaultMaxDeliveries: settings.maxDeliveries,
      resolver: this.resolver,
      logger: this.logger,
      stats: this.stats,
      workerRecordTtlMs: workerRecordTtlMs(config.heartbeatInterval),
    });
    this.depth = new QueueDepthSampler({
      redis: connection.redis,
      functions,
      keysOf: (fn) => backend.keysOf(fn),
      intervalMs: settings.queueDepthIntervalMs,
      logger: this.logger,
    });
    this.registration = new Registration({
      redis: connection.redis,
      keys: connection.keys,
      publisher,
      workerId: this.workerId,
      name: settings.name,
      concurrency: settings.concurrency,
      definitions: [...definitions.values()],
      heartbeatMs: config.heartbeatInterval,
      functionConfigKey: (fn) => backend.keysOf(fn).config,
      stats: () => ({
        active: this.processor.activeCount,
        held: this.processor.claims.size,
        completed: this.processor.counters.completed,
        failed: this.processor.counters.failed,
      }),
      logger: this.logger,
    });
    this.streamSweep = new StreamSweep({
      redis: connection.redis,
      keys: connection.keys,
      functionKeys: (fn) => backend.keysOf(fn),
      knownFunctions: () => backend.knownFunctions(),
      workerId: this.workerId,
      intervalMs: config.housekeepingInterval,
      consumerIdleMs: config.consumerIdleTimeout,
      deadLetterRetentionMs: config.deadLetterRetention,
      logger: this.logger,
    });
  }

  async start(): Promise<void> {
    const subscriber = this.connection.subscriber;
    this.unsubscribeCancel = subscriber.onCancel((jobId) => {
      this.processor.cancelled(jobId);
    });
    await subscriber.ready();
    await this.registration.start();
    this.renewer.start();
    this.jobSweep.start();
    this.streamSweep.start();
    this.depth.start();
    this.fetcher.start();
    for (const service of this.services) {
      await service.start({ workerId: this.workerId, connection: this.connection, logger: this.logger });
    }
    this.logger.info(
      { functions: this.registration.info.functions, concurrency: this.settings.concurrency },
      "worker started",
    );
  }

  /** Graceful stop: nothing claimed is lost; see JobProcessor.drain. */
  async stop(reason = "stopped"): Promise<void> {
    this.stopping = true;
    this.logger.info({ reason }, "worker stopping");
    // Started first: the in-flight jobs' grace must not wait for a service that waits on Redis.
    const drained = this.processor.drain(this.settings.shutdownTimeoutMs);
    // Awaited below; the handler only keeps an early rejection from counting as unhandled.
    drained.catch(() => undefined);
    for (const service of this.services) {
      try {
        await service.stop();
      } catch (error) {
        this.logger.warn({ service: service.name, err: String(error) }, "stopping a worker service failed");
      }
    }
    await this.fetcher.stop();
    await drained;
    this.renewer.stop();
    this.streamSweep.stop();
    await this.depth.stop();
    await this.jobSweep.stop();
    this.unsubscribeCancel?.();
    await this.threadPool?.close();
    await this.registration.stop(reason, this.processor.counters.handedBack);
    await this.connection.publisher.flush();
    this.logger.info({ handedBack: this.processor.counters.handedBack }, "worker stopped");
  }

  metrics(): WorkerMetrics {
    const processor = this.processor;
    const statusBuffer = this.connection.publisher.metrics();
    const totals = this.stats.totals();
    return {
      workerId: this.workerId,
      active: processor.activeCount,
      prefetched: processor.prefetchedCount,
      concurrency: this.settings.concurrency,
      claimsCacheSize: processor.claims.size,
      claimsCacheEvicted: processor.claims.evicted,
      leaseRecoveries: totals.requeued,
      lostJobs: totals.lost,
      promoted: this.jobSweep.promoted,
      statusBuffer,
      jobs: processor.counters,
      functions: this.stats.snapshot(),
      redisErrors: {
        claim: this.fetcher.failures,
        finish: processor.finisher.failedCalls,
        renew_leases: this.renewer.failures,
        release: processor.releaseFailures,
        maintenance: this.jobSweep.failures,
        heartbeat: this.registration.failures,
        status_events: statusBuffer.writeErrors,
        queue_depth: this.depth.failures,
        ...this.serviceErrors(),
      },
      queueDepth: this.depth.latest,
    };
  }

  /** The cron, event-subscription and DAG counters (0 when the worker has no such service). */
  private serviceErrors(): Record<"cron" | "event_subscriptions" | "dag_resolve", number> {
    const counts = { cron: 0, event_subscriptions: 0, dag_resolve: this.resolver.failures };
    for (const service of this.services) {
      const errors = service.redisErrors;
      if (errors && errors.operation in counts)
        counts[errors.operation as keyof typeof counts] += errors.count;
    }
    return counts;
  }

  /** What `/ready` answers: see observability/readiness.ts. */
  readiness(): Promise<Readiness> {
    return checkReadiness({
      store: this.connection.health,
      started: true,
      stopping: this.stopping,
      lastBeatAt: this.registration.lastBeatAt,
      recordTtlMs: this.registration.ttlMs,
    });
  }
}
