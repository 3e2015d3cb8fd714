/**
 * The ingest loop: reads the status stream through the "history" consumer group and applies it
 * to the history, one transaction per batch (ingest/history-writer.ts).
 *
 * Guarantees:
 * - Nothing is lost: an entry is acknowledged only after the transaction that stored it
 *   committed (or after it went to the dead-letter stream). Entries a crashed replica left
 *   pending are claimed by another after CLAIM_MIN_IDLE_MS.
 * - Nothing loops forever: an entry that is not a valid event goes to the dead-letter stream at
 *   once; one whose processing fails is retried on its own (so it cannot hold back the rest of
 *   its batch) and dead-lettered once it has been delivered `ingestMaxAttempts` times.
 * - Outages are waited out: while Redis or the database is down the loop backs off (reporting
 *   the outage to the dependency's circuit breaker) and keeps what it has read in memory;
 *   an outage never counts against an entry's attempts.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { type Logger, pino } from "pino";
import { isRedisOutage } from "../connections/outage-errors.js";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { type ServerMetrics, createServerMetrics } from "../observability/server-metrics.js";
import type { HistoryDatabase } from "../store/database.js";
import { BatchApplier, DependencyDown } from "./batch-applier.js";
import { INGEST_GROUP, StatusStreamConsumer, type StreamEntry, compareIds } from "./stream-consumer.js";

/** Longest wait of one XREADGROUP for new entries; also bounds how late a stop is noticed. */
export const INGEST_BLOCK_MS = 2_000;
/** An entry pending this long with another consumer is taken over (that consumer is gone). */
export const CLAIM_MIN_IDLE_MS = 60_000;
/** How often stale entries are claimed, idle consumers removed and the backlog measured. */
export const MAINTENANCE_INTERVAL_MS = 10_000;
/** A consumer that owns nothing and has not read for this long is removed from the group. */
export const CONSUMER_IDLE_DELETE_MS = 10 * 60_000;
/** Pause before an entry whose processing failed is delivered again. */
export const PROCESSING_RETRY_DELAY_MS = 1_000;
/** Backoff after a Redis or database failure: doubled per failure up to the cap. */
export const OUTAGE_RETRY_DELAY_MS = 100;
export const MAX_OUTAGE_RETRY_DELAY_MS = 5_000;
/** Longest a stop spends applying what is already in the stream (never blocking on it). */
export const STOP_DRAIN_TIMEOUT_MS = 5_000;
/** MAXLEN ~ of the ingest dead-letter stream. */
export const DEAD_LETTER_MAXLEN = 10_000;
/** Extra room for a blocking read on a socket that went silent without closing. */
const SOCKET_TIMEOUT_MARGIN_MS = 10_000;
const DRAIN_POLL_MS = 50;
const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

export interface IngesterOptions {
  /**
   * Called after each committed batch with the jobs whose rows it created (artifacts uploaded
   * before their job arrived are promoted here). A failure is logged; the batch stays applied.
   */
  readonly onJobsInserted?: (jobIds: string[]) => Promise<void>;
  /** The database handle to write through (default deps.database); SQLite ingest may want its own. */
  readonly database?: HistoryDatabase;
  readonly metrics?: ServerMetrics;
  readonly logger?: Logger;
  /** Default: "<host>-<pid>-<random>". */
  readonly consumerName?: string;
  /** Where a new group starts (default config.ingestStart). */
  readonly start?: string;
  /** Entries per batch (default config.ingestBatch). */
  readonly batchSize?: number;
  /** Deliveries after which a failing entry is dead-lettered (default config.ingestMaxAttempts). */
  readonly maxAttempts?: number;
  /** Test knobs. */
  readonly blockMs?: number;
  readonly claimMinIdleMs?: number;
  readonly maintenanceIntervalMs?: number;
  readonly processingRetryDelayMs?: number;
  readonly consumerIdleDeleteMs?: number;
}

export interface IngesterCounters {
  readonly stored: number;
  readonly duplicates: number;
  readonly ignored: number;
  readonly deadLettered: number;
  readonly batches: number;
  /** now - at of the newest event applied, when it was applied (ms). */
  readonly lagMs: number | null;
}

export interface Ingester {
  readonly consumer: string;
  /** Stops reading, applies what the stream already holds for up to drainTimeoutMs, and closes. */
  stop(options?: { readonly drainTimeoutMs?: number }): Promise<void>;
  /** Resolves once the group has ingested and acknowledged everything the stream holds now. */
  drain(timeoutMs?: number): Promise<void>;
  /**
   * Resolves true once the consumer group exists, so every event written from then on will be
   * ingested (a first start at `$` skips what came before); false if that takes over timeoutMs.
   */
  ready(timeoutMs: number): Promise<boolean>;
  counters(): IngesterCounters;
}

export function startIngester(deps: ServerDependencies, options: IngesterOptions = {}): Ingester {
  const ingester = new IngestLoop(deps, options);
  ingester.start();
  return ingester;
}

class IngestLoop implements Ingester {
  readonly consumer: string;
  private readonly connection: Redis;
  private readonly reader: StatusStreamConsumer;
  private readonly database: HistoryDatabase;
  private readonly metrics: ServerMetrics;
  private readonly logger: Logger;
  private readonly batchSize: number;
  private readonly maxAttempts: number;
  private readonly blockMs: number;
  private readonly claimMinIdleMs: number;
  private readonly maintenanceIntervalMs: number;
  private readonly processingRetryDelayMs: number;
  private readonly consumerIdleDeleteMs: number;

  private stopping = false;
  private drainDeadline = 0;
  private loop: Promise<void> | undefined;
  private clientId: number | undefined;
  /** Entries read but not yet settled; kept across outages so they are not re-delivered. */
  private held: { entries: StreamEntry[]; redelivered: boolean } | undefined;
  private ownPendingDueAt = Number.POSITIVE_INFINITY;
  private maintenanceDueAt = 0;
  private failures = 0;
  private readonly applier: BatchApplier;
  private sleeper: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private markGrouped: () => void = () => undefined;
  private readonly grouped = new Promise<void>((resolve) => {
    this.markGrouped = resolve;
  });

  constructor(
    private readonly deps: ServerDependencies,
    private readonly options: IngesterOptions,
  ) {
    const { config, keys } = deps;
    this.consumer = options.consumerName ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.blockMs = options.blockMs ?? INGEST_BLOCK_MS;
    // Blocking reads need no command timeout; a socket that stays silent past the block is dead.
    this.connection = deps.redis.duplicate({
      commandTimeout: undefined,
      socketTimeout: this.blockMs + SOCKET_TIMEOUT_MARGIN_MS,
      connectionName: `upnext-ingest-${this.consumer}`,
    });
    this.connection.on("error", () => undefined);
    this.connection.on("ready", () => {
      this.connection.client("ID").then(
        (id) => {
          this.clientId = id;
        },
        () => undefined,
      );
    });
    this.reader = new StatusStreamConsumer({
      redis: this.connection,
      stream: keys.events,
      deadLetterStream: keys.eventsDeadLetter,
      deadLetterMaxLen: DEAD_LETTER_MAXLEN,
      consumer: this.consumer,
    });
    this.database = options.database ?? deps.database;
    this.metrics = options.metrics ?? createServerMetrics();
    this.logger = options.logger ?? pino({ level: "silent" });
    this.batchSize = options.batchSize ?? config.ingestBatch;
    this.maxAttempts = options.maxAttempts ?? config.ingestMaxAttempts;
    this.claimMinIdleMs = options.claimMinIdleMs ?? CLAIM_MIN_IDLE_MS;
    this.maintenanceIntervalMs = options.maintenanceIntervalMs ?? MAINTENANCE_INTERVAL_MS;
    this.processingRetryDelayMs = options.processingRetryDelayMs ?? PROCESSING_RETRY_DELAY_MS;
    this.consumerIdleDeleteMs = options.consumerIdleDeleteMs ?? CONSUMER_IDLE_DELETE_MS;
    this.applier = new BatchApplier({
      reader: this.reader,
      database: this.database,
      metrics: this.metrics,
      logger: this.logger,
      maxAttempts: this.maxAttempts,
      onJobsInserted: options.onJobsInserted,
      onDatabaseOutage: (error) => {
        deps.databaseBreaker.recordOutage(error);
      },
    });
  }

  start(): void {
    this.loop = this.run();
  }

  counters(): IngesterCounters {
    return { ...this.applier.totals, lagMs: this.applier.lagMs };
  }

  async stop(options: { readonly drainTimeoutMs?: number } = {}): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.drainDeadline = Date.now() + (options.drainTimeoutMs ?? STOP_DRAIN_TIMEOUT_MS);
      this.wake();
      // Ends the blocking read at once (it returns as if it timed out); else it ends within blockMs.
      if (this.clientId !== undefined) {
        await this.deps.redis.call("CLIENT", "UNBLOCK", this.clientId).catch(() => undefined);
      }
    }
    await this.loop;
  }

  async ready(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        resolve(false);
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.grouped.then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async drain(timeoutMs: number = DEFAULT_DRAIN_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // While Redis is unreachable nothing can be known: keep asking until the deadline.
      if (await this.caughtUp().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`ingest did not catch up within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }

  /** The group has been delivered the stream's newest entry and has acknowledged everything. */
  private async caughtUp(): Promise<boolean> {
    const { redis, keys } = this.deps;
    const [newest, groups] = await Promise.all([
      redis.xrevrange(keys.events, "+", "-", "COUNT", 1),
      redis.call("XINFO", "GROUPS", keys.events),
    ]);
    const group = (Array.isArray(groups) ? (groups as unknown[][]) : []).find(
      (fields) => fields[fields.indexOf("name") + 1] === INGEST_GROUP,
    );
    if (!group) return false;
    const pending = Number(group[group.indexOf("pending") + 1]);
    const delivered = String(group[group.indexOf("last-delivered-id") + 1]);
    const last = newest[0]?.[0];
    return pending === 0 && (last === undefined || compareIds(delivered, last) >= 0);
  }

  // ---- the loop ----------------------------------------------------------------------------

  private async run(): Promise<void> {
    await this.waitForConnection();
    let grouped = false;
    let start = this.options.start ?? this.deps.config.ingestStart;
    for (;;) {
      if (this.stopping && (Date.now() > this.drainDeadline || this.failures > 0)) break;
      try {
        if (!grouped) {
          if (await this.reader.ensureGroup(start))
            this.logger.info({ start }, "ingest consumer group created");
          grouped = true;
          this.markGrouped();
        }
        if (this.held === undefined) await this.maintain();
        if (this.held === undefined) {
          const next = await this.next();
          if (next === undefined) {
            if (this.stopping) break;
            continue;
          }
          this.held = next;
        }
        const { retryPending } = await this.applier.handle(this.held.entries, this.held.redelivered);
        if (retryPending) {
          this.ownPendingDueAt = Math.min(this.ownPendingDueAt, Date.now() + this.processingRetryDelayMs);
        }
        this.held = undefined;
        this.recovered();
      } catch (error) {
        if (error instanceof Error && error.message.startsWith("NOGROUP")) {
          // The group (or the whole stream) vanished: a Redis restarted without its data, or a
          // deleted key. What the stream holds now arrived after that, so read all of it.
          grouped = false;
          start = "0";
        }
        await this.failed(error);
      }
    }
    await this.close();
  }

  /** The next entries to handle: own retries when due, stale claims, else new entries. */
  private async next(): Promise<{ entries: StreamEntry[]; redelivered: boolean } | undefined> {
    if (!this.stopping && Date.now() >= this.ownPendingDueAt) {
      const entries = await this.reader.readOwnPending(this.batchSize);
      if (entries.length > 0) return { entries, redelivered: true };
      this.ownPendingDueAt = Number.POSITIVE_INFINITY;
    }
    // Stopping: take what is there without waiting (never a blocking read at shutdown).
    const entries = await this.reader.readNew(this.batchSize, this.stopping ? 0 : this.blockMs);
    return entries.length > 0 ? { entries, redelivered: false } : undefined;
  }

  private async maintain(): Promise<void> {
    if (this.stopping || Date.now() < this.maintenanceDueAt) return;
    this.maintenanceDueAt = Date.now() + this.maintenanceIntervalMs;
    const claimed = await this.reader.claimStale(this.claimMinIdleMs, this.batchSize);
    if (claimed.length > 0) {
      this.logger.warn({ entries: claimed.length }, "took over status events another ingester left pending");
      this.held = { entries: claimed, redelivered: true };
      // More may be waiting: look again on the next turn.
      this.maintenanceDueAt = 0;
    }
    const removed = await this.reader.removeIdleConsumers(this.consumerIdleDeleteMs);
    if (removed.length > 0) this.logger.info({ consumers: removed }, "removed idle ingest consumers");
    const backlog = await this.reader.backlog();
    if (backlog.undelivered !== null) this.metrics.ingest.backlog.set(backlog.undelivered);
    this.metrics.ingest.pending.set(backlog.pending);
    // Caught up: the last batch's lag no longer describes the history.
    if (backlog.undelivered === 0 && backlog.pending === 0) this.metrics.ingest.lag.set(0);
  }

  // ---- failures and shutdown -----------------------------------------------------------------

  private recovered(): void {
    if (this.failures > 0) this.logger.info({ failures: this.failures }, "ingest recovered");
    this.failures = 0;
  }

  private async failed(error: unknown): Promise<void> {
    this.failures += 1;
    const cause = error instanceof DependencyDown ? error.cause : error;
    const dependency =
      error instanceof DependencyDown ? error.dependency : isRedisOutage(error) ? "redis" : "processing";
    this.metrics.ingest.failures.inc({ dependency });
    if (dependency === "redis") this.deps.redisBreaker.recordOutage(cause);
    if (this.failures === 1 || this.failures % 50 === 0) {
      this.logger.warn(
        { err: cause, dependency, failures: this.failures },
        "ingest failed; retrying with backoff",
      );
    }
    const delay = Math.min(OUTAGE_RETRY_DELAY_MS * 2 ** (this.failures - 1), MAX_OUTAGE_RETRY_DELAY_MS);
    await this.sleep(delay);
  }

  private async close(): Promise<void> {
    if (this.held === undefined) {
      await this.reader.removeSelfIfIdle().catch(() => undefined);
    } else {
      this.logger.warn(
        { entries: this.held.entries.length },
        "stopping with status events not applied; another ingester (or the next start) takes them over",
      );
    }
    this.connection.disconnect();
  }

  private async waitForConnection(): Promise<void> {
    while (this.connection.status !== "ready" && !this.stopping) await this.sleep(DRAIN_POLL_MS);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping && Date.now() > this.drainDeadline) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleeper = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeper = { timer, wake };
    });
  }

  private wake(): void {
    this.sleeper?.wake();
  }
}
