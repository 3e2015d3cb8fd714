/**
 * Moves due scheduled and retrying jobs into their queues and recovers jobs whose lease expired,
 * for every function of the namespace, whether or not a live worker registered it. Each step is
 * one atomic script per function, so workers need no lock: a job is moved exactly once. Each
 * worker sweeps only its share of the functions (two live workers per function, see
 * sweep-assignment.ts), recomputed whenever it re-reads the function and worker lists. Between
 * passes it sleeps until the earliest known due time, at most `intervalMs`.
 */
import type { DependencyResolver } from "../flow/dependency-resolver.js";
import { jobEvent } from "../status/job-events.js";
import type { JobStats } from "../observability/job-stats.js";
import type { Logger } from "../observability/logger.js";
import type { QueueBackend } from "../../backend/queue-backend.js";
import type { StatusPublisher } from "../status/status-publisher.js";
import { functionsSweptBy } from "../sweep-assignment.js";

const BATCH = 500;
const FUNCTION_LIST_REFRESH_MS = 5_000;
/** How often waiting DAG children are re-checked against their parents (a safety net). */
const RECONCILE_WAITING_MS = 10_000;

export interface JobSweepOptions {
  readonly backend: QueueBackend;
  readonly publisher: StatusPublisher;
  readonly workerId: string;
  readonly ownFunctions: readonly string[];
  readonly intervalMs: number;
  readonly defaultMaxDeliveries: number;
  readonly resolver: DependencyResolver;
  readonly logger: Logger;
  /** Where recovered leases are counted, per function (shared with the job processor). */
  readonly stats: JobStats;
  /** A worker whose registry record is older than this is dead (it no longer gets a share). */
  readonly workerRecordTtlMs: number;
}

export class JobSweep {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The functions this worker sweeps: its share of the namespace's (all of them at first). */
  private functions: string[];
  private functionsRefreshedAt = 0;
  private pass: Promise<void> | undefined;
  private waitingReconciledAt = 0;
  promoted = 0;
  /** Passes that failed on a Redis error. */
  failures = 0;

  constructor(private readonly options: JobSweepOptions) {
    this.functions = [...options.ownFunctions];
  }

  start(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pass = this.runPass().then((delay) => {
        this.schedule(delay);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async refreshFunctions(now: number): Promise<void> {
    if (now - this.functionsRefreshedAt < FUNCTION_LIST_REFRESH_MS) return;
    this.functionsRefreshedAt = now;
    const { backend, ownFunctions, workerId, workerRecordTtlMs } = this.options;
    const [known, live] = await Promise.all([
      backend.knownFunctions(),
      backend.liveWorkers(now - workerRecordTtlMs),
    ]);
    this.functions = functionsSweptBy(workerId, live, [...new Set([...ownFunctions, ...known])]);
  }

  /** One pass; returns how long to wait before the next. */
  async runPass(): Promise<number> {
    const { backend, intervalMs, logger } = this.options;
    const now = Date.now();
    let nextDue = now + intervalMs;
    try {
      await this.refreshFunctions(now);
      await Promise.all(
        this.functions.map(async (fn) => {
          const { promoted, recovered } = await backend.sweep(
            fn,
            now,
            this.options.defaultMaxDeliveries,
            BATCH,
          );
          this.report(fn, promoted.moved, recovered);
          const orphans = recovered.flatMap((job) => job.dependents);
          if (orphans.length > 0) await this.options.resolver.resolve(orphans);
          if (promoted.moved.length === BATCH || recovered.length === BATCH) nextDue = now;
          if (promoted.nextDue !== null) nextDue = Math.min(nextDue, promoted.nextDue);
        }),
      );
      if (now - this.waitingReconciledAt >= RECONCILE_WAITING_MS) {
        this.waitingReconciledAt = now;
        for (const fn of this.functions) await this.options.resolver.reconcile(fn, now);
      }
    } catch (error) {
      this.failures++;
      logger.warn({ err: String(error) }, "promoting scheduled jobs or recovering leases failed; will retry");
    }
    return Math.max(5, Math.min(intervalMs, nextDue - Date.now()));
  }

  private report(
    fn: string,
    moved: Awaited<ReturnType<QueueBackend["promote"]>>["moved"],
    recovered: Awaited<ReturnType<QueueBackend["recover"]>>,
  ): void {
    const { publisher, workerId, logger } = this.options;
    for (const job of moved) {
      this.promoted++;
      if (job.deferred) continue;
      void publisher.publish(
        jobEvent("queued", { jobId: job.id, function: fn, ...job }, workerId, {
          from: job.previous === "retrying" ? "retrying" : "scheduled",
        }),
      );
    }
    for (const job of recovered) {
      const identity = {
        jobId: job.id,
        function: fn,
        attempt: job.attempt,
        parentId: job.parentId,
        rootId: job.rootId,
      };
      if (job.outcome === "requeued") {
        this.options.stats.of(fn).leaseRequeued++;
        logger.warn(
          { jobId: job.id, function: fn, deliveries: job.deliveries, lostWorker: job.workerId },
          "re-delivering a job whose lease expired (its worker crashed or stalled)",
        );
        void publisher.publish(jobEvent("queued", identity, workerId, { from: "recovered" }));
      } else {
        this.options.stats.of(fn).leaseLost++;
        const error = {
          name: "LeaseLostError",
          message: `The job was delivered ${job.deliveries} time(s) and its worker stopped renewing the lease each time.`,
          code: "lost",
        };
        logger.error(
          { jobId: job.id, function: fn, deliveries: job.deliveries },
          "job lost too often; dead-lettered",
        );
        void publisher.publish(jobEvent("failed", identity, workerId, { error, reason: "lost" }));
        void publisher.publish(
          jobEvent("dead-lettered", identity, workerId, { reason: "lost", error, attempts: job.attempt }),
        );
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.pass;
  }
}
