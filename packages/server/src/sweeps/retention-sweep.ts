/**
 * History retention: finished jobs (complete, failed, cancelled) created and finished longer ago
 * than UPNEXT_HISTORY_RETENTION are deleted in batches, each batch in its own short transaction (the API keeps answering between them), with
 * their events and tags; artifacts rows go by the foreign key's cascade and children keep their
 * row (parent_id becomes null). A job still waiting, scheduled or running keeps its row, events
 * and artifacts however old it is: deleting it would leave its later events to re-create a
 * partial row. Rollup buckets older than the window go too (they count outcomes by the hour they
 * happened in, so a job finishing later counts in a bucket inside the window), minute rollups
 * older than MINUTE_ROLLUP_RETENTION_MS (a day), and HTTP API per-minute route rows and sampled
 * requests older than the window (docs/http-apis.md). One replica at a time runs it (a Redis
 * lock); without Redis it runs anyway, since deleting twice is harmless.
 */
import { randomBytes } from "node:crypto";
import { MINUTE_ROLLUP_RETENTION_MS, TERMINAL_STATUSES } from "@upnext/core";
import { type Logger, pino } from "pino";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { ROLLUP_BUCKET_MS } from "../store/schema.js";
import type { ServerMetrics } from "../observability/server-metrics.js";
import type { HistoryDatabase } from "../store/database.js";
import { writeTransaction } from "../store/write-transaction.js";
import { PeriodicTask } from "../lib/periodic-task.js";

/** Jobs deleted per transaction. */
export const RETENTION_BATCH_SIZE = 1_000;
/** Longest a replica holds the retention lock; a longer run lets another replica start too. */
export const RETENTION_LOCK_TTL_MS = 5 * 60_000;
/** The first sweep after start, so a restart loop does not sweep on every start. */
export const RETENTION_FIRST_RUN_DELAY_MS = 60_000;

const RELEASE_LOCK_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface RetentionOptions {
  /**
   * Called with each batch of job ids before they are deleted (their stored artifact files are
   * removed here). If it throws, the batch is not deleted and the run ends; the next run retries.
   */
  readonly beforeDeleteJobs?: (jobIds: string[]) => Promise<void>;
  /** Called at the end of each run, with the cutoff: garbage-collect orphaned pending artifacts. */
  readonly collectOrphanedArtifacts?: (cutoff: number) => Promise<void>;
  /** Default deps.database. */
  readonly database?: HistoryDatabase;
  readonly logger?: Logger;
  readonly metrics?: ServerMetrics;
  /** Defaults: config.historyRetention, config.retentionInterval, RETENTION_BATCH_SIZE. */
  readonly retentionMs?: number;
  readonly intervalMs?: number;
  readonly batchSize?: number;
  readonly firstRunDelayMs?: number;
  /** The clock (tests). */
  readonly now?: () => number;
}

export interface RetentionReport {
  readonly deletedJobs: number;
  readonly batches: number;
  /** Finished jobs created and finished before this were deleted (epoch ms). */
  readonly cutoff: number;
  /** Set when another replica held the lock and this run did nothing. */
  readonly skipped?: "locked";
}

export interface Retention {
  runOnce(): Promise<RetentionReport>;
  stop(): Promise<void>;
}

export function startRetention(deps: ServerDependencies, options: RetentionOptions = {}): Retention {
  const database = options.database ?? deps.database;
  const logger = options.logger ?? pino({ level: "silent" });
  const retentionMs = options.retentionMs ?? deps.config.historyRetention;
  const intervalMs = options.intervalMs ?? deps.config.retentionInterval;
  const batchSize = options.batchSize ?? RETENTION_BATCH_SIZE;
  const now = options.now ?? Date.now;
  // Read by the sweep between batches, so a stop() does not wait for the whole backlog.
  let stopped = false;

  const sweep = async (cutoff: number): Promise<{ deletedJobs: number; batches: number }> => {
    let deletedJobs = 0;
    let batches = 0;
    while (!stopped) {
      const ids = (
        await database.db
          .selectFrom("jobs")
          .select("id")
          .where("status", "in", TERMINAL_STATUSES)
          .where("created_at", "<", cutoff)
          .where((eb) => eb.or([eb("finished_at", "is", null), eb("finished_at", "<", cutoff)]))
          .orderBy("created_at")
          .orderBy("id")
          .limit(batchSize)
          .execute()
      ).map((row) => row.id);
      if (ids.length === 0) break;
      await options.beforeDeleteJobs?.([...ids]);
      await writeTransaction(database, async (trx) => {
        await trx.deleteFrom("job_events").where("job_id", "in", ids).execute();
        await trx.deleteFrom("job_tags").where("job_id", "in", ids).execute();
        await trx.deleteFrom("jobs").where("id", "in", ids).execute();
      });
      deletedJobs += ids.length;
      batches += 1;
      options.metrics?.retention.deletedJobs.inc(ids.length);
      if (ids.length < batchSize) break;
      // Let queued API queries (one SQLite connection) run between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Whole hours only: the bucket the cutoff falls in still holds jobs inside the window.
    await database.db
      .deleteFrom("job_rollups")
      .where("bucket", "<=", cutoff - ROLLUP_BUCKET_MS)
      .execute();
    // Minute rollups serve the short windows only; the hourly ones keep the same counts.
    await database.db
      .deleteFrom("job_rollups_minute")
      .where("bucket", "<", Math.max(cutoff, now() - MINUTE_ROLLUP_RETENTION_MS))
      .execute();
    // Hourly API trends are summed from the minute rows when asked for, so these two tables hold
    // all of an API's history.
    await database.db.deleteFrom("api_route_minutes").where("minute", "<", cutoff).execute();
    await database.db.deleteFrom("api_requests").where("at", "<", cutoff).execute();
    return { deletedJobs, batches };
  };

  const runOnce = async (): Promise<RetentionReport> => {
    const cutoff = now() - retentionMs;
    const token = randomBytes(8).toString("hex");
    let locked: boolean;
    try {
      locked =
        (await deps.withRedis((redis) =>
          redis.set(deps.keys.retentionLock, token, "PX", RETENTION_LOCK_TTL_MS, "NX"),
        )) === "OK";
    } catch (error) {
      logger.warn({ err: error }, "retention runs without its lock: Redis is unavailable");
      locked = true;
    }
    if (!locked) return { deletedJobs: 0, batches: 0, cutoff, skipped: "locked" };
    try {
      const result = await sweep(cutoff);
      await options.collectOrphanedArtifacts?.(cutoff);
      if (result.deletedJobs > 0) logger.info({ ...result, cutoff }, "retention deleted old jobs");
      return { ...result, cutoff };
    } finally {
      await deps.redis.eval(RELEASE_LOCK_SCRIPT, 1, deps.keys.retentionLock, token).catch(() => undefined);
    }
  };

  const task = new PeriodicTask({
    run: runOnce,
    intervalMs,
    onError: (error) => {
      logger.warn({ err: error }, "retention run failed; it runs again at the next interval");
    },
  });
  task.start(options.firstRunDelayMs ?? Math.min(RETENTION_FIRST_RUN_DELAY_MS, intervalMs));

  return {
    runOnce: () => task.runNow(),
    stop: () => {
      stopped = true;
      return task.stop();
    },
  };
}
