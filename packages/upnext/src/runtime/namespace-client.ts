/**
 * Everything a process needs to talk to one UpNext namespace: the store (queue transitions, dead
 * letters, health; for now also the raw command connection, see docs/architecture.md "Not yet
 * behind the ports"), the status publisher, the (lazy) signal subscriber and the tracing switch.
 * Producers and workers share one NamespaceClient per Worker object, opened on first use.
 */
import { namespaceKeys, validateName, type Config, type NamespaceKeys } from "@upnext/core";
import { getConfig } from "./process-config.js";
import { Redis, type RedisOptions } from "ioredis";
import { RedisBackend } from "../backend/redis/redis-backend.js";
import { closeRedis } from "./deadline.js";
import { RedisDeadLetterStore } from "../backend/redis/dead-letter-store.js";
import { RedisHealth } from "../backend/redis/redis-health.js";
import type { DeadLetterStore } from "../backend/dead-letter-store.js";
import type { StoreHealth } from "../backend/store-health.js";
import { rootLogger, type Logger } from "./observability/logger.js";
import { DependencyResolver } from "./flow/dependency-resolver.js";
import { SignalSubscriber } from "./signal-subscriber.js";
import { StatusPublisher } from "./status/status-publisher.js";

/** Where and how to connect: the same options for a Worker and for standalone admin objects. */
export interface StandaloneOptions {
  /** Redis URL (default UPNEXT_REDIS_URL). */
  readonly redis?: string | undefined;
  /** Extra ioredis options (TLS, passwords, ...). */
  readonly redisOptions?: RedisOptions | undefined;
  /** Key namespace (default UPNEXT_NAMESPACE). */
  readonly namespace?: string | undefined;
  /** Configuration to use instead of the environment's. */
  readonly config?: Config | undefined;
  readonly logger?: Logger | undefined;
}

export interface NamespaceClientOptions extends StandaloneOptions {
  /** Overrides of the status buffer (default from UPNEXT_STATUS_*). */
  readonly statusBuffer?:
    Partial<Pick<Config, "statusBufferSize" | "statusBufferBytes" | "statusOverflow">> | undefined;
  /** Record spans when an OpenTelemetry SDK is registered (default true); false turns tracing off. */
  readonly tracing?: boolean | undefined;
}

/**
 * A NamespaceClient opened on first use and re-opened after it was closed: what a Worker,
 * Schedules and DeadLetters hold when they are not handed someone else's.
 */
export class LazyNamespaceClient {
  private current: NamespaceClient | undefined;

  constructor(private readonly options: NamespaceClientOptions) {}

  get(): NamespaceClient {
    if (!this.current || this.current.isClosed) this.current = new NamespaceClient(this.options);
    return this.current;
  }

  async close(flushTimeoutMs?: number): Promise<void> {
    await this.current?.close(flushTimeoutMs);
  }

  abort(): void {
    this.current?.abort();
  }
}

/** How long a close waits for each client's QUIT to be answered before dropping it. */
const QUIT_TIMEOUT_MS = 1_000;

export class NamespaceClient {
  readonly config: Config;
  readonly namespace: string;
  readonly keys: NamespaceKeys;
  readonly redis: Redis;
  readonly backend: RedisBackend;
  /** Whether the store answers (a worker's `/ready`). */
  readonly health: StoreHealth;
  /** The dead-letter sets. */
  readonly deadLetters: DeadLetterStore;
  readonly publisher: StatusPublisher;
  readonly subscriber: SignalSubscriber;
  readonly logger: Logger;
  readonly redisUrl: string;
  readonly redisOptions: RedisOptions;
  /** Whether submits and runs through this connection may record spans (see runtime/observability/tracing.ts). */
  readonly tracing: boolean;
  private closed = false;
  private resolver: DependencyResolver | undefined;
  /** Clients made by duplicate(), so abort() can drop them too. */
  private readonly duplicates = new Set<Redis>();

  constructor(options: NamespaceClientOptions = {}) {
    this.config = options.config ?? getConfig();
    this.namespace = validateName("namespace", options.namespace ?? this.config.namespace);
    this.keys = namespaceKeys(this.namespace);
    this.logger = options.logger ?? rootLogger(this.config.logLevel);
    this.redisUrl = options.redis ?? this.config.redisUrl;
    this.redisOptions = { maxRetriesPerRequest: 20, ...options.redisOptions };
    this.tracing = options.tracing ?? true;
    this.redis = new Redis(this.redisUrl, this.redisOptions);
    this.redis.on("error", (error: Error) => {
      this.logger.warn({ err: error.message }, "redis connection error");
    });
    this.backend = new RedisBackend({
      redis: this.redis,
      namespace: this.namespace,
      jobRetentionMs: this.config.jobRetention,
      deadLetterRetentionMs: this.config.deadLetterRetention,
      idempotencyTtlMs: this.config.idempotencyTtl,
    });
    this.health = new RedisHealth(this.redis);
    this.deadLetters = new RedisDeadLetterStore(this.backend);
    this.publisher = new StatusPublisher({
      redis: this.redis,
      streamKey: this.keys.events,
      spillKey: this.keys.eventsSpill,
      capacity: options.statusBuffer?.statusBufferSize ?? this.config.statusBufferSize,
      maxBytes: options.statusBuffer?.statusBufferBytes ?? this.config.statusBufferBytes,
      overflow: options.statusBuffer?.statusOverflow ?? this.config.statusOverflow,
      maxLen: this.config.statusStreamMaxLen,
      batchSize: this.config.statusFlushBatch,
      logger: this.logger,
    });
    this.subscriber = new SignalSubscriber(this.redisUrl, this.redisOptions, this.keys, this.logger);
  }

  /** Resolves DAG children for producers (submits and cancels made outside any worker). */
  get dependencies(): DependencyResolver {
    this.resolver ??= new DependencyResolver(this.backend, this.publisher, null, this.logger);
    return this.resolver;
  }

  /** A new connection to the same Redis, for blocking reads that must not stall other commands. */
  duplicate(): Redis {
    const client = new Redis(this.redisUrl, { ...this.redisOptions, maxRetriesPerRequest: null });
    this.duplicates.add(client);
    client.once("end", () => this.duplicates.delete(client));
    // Without a listener ioredis prints "Unhandled error event" on every failed reconnect; the
    // command connection already logs the outage as a warning.
    client.on("error", (error: Error) => {
      this.logger.debug({ err: error.message }, "redis connection error (blocking client)");
    });
    return client;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Flushes buffered status events (at most `flushTimeoutMs`, then they are spilled or dropped)
   * and closes every client. Bounded whatever state Redis is in: a client that is not connected
   * is dropped instead of waiting for QUIT.
   */
  async close(flushTimeoutMs = 5_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.publisher.close(flushTimeoutMs);
    await this.subscriber.close(QUIT_TIMEOUT_MS);
    await closeRedis(this.redis, QUIT_TIMEOUT_MS);
  }

  /**
   * Drops every client at once, without flushing: for a stop that ran out of time. Commands still
   * waiting for Redis never complete; what they would have stored is recovered as after a crash
   * (leases expire, jobs are re-delivered).
   */
  abort(): void {
    this.closed = true;
    void this.publisher.close(0);
    this.subscriber.abort();
    for (const client of this.duplicates) client.disconnect();
    this.redis.disconnect();
  }
}
