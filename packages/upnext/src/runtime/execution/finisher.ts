/**
 * Batches finishes per function: every job that ended while a flush was on its way is stored
 * by the next single call, which also claims the next jobs for the freed slots ("complete and
 * fetch next"), so a busy worker pays about one round trip per batch rather than two per job.
 * Each job's outcome is encoded before it is queued here, so one bad result can only fail its
 * own job, never the batch.
 *
 * Up to MAX_IN_FLIGHT flushes of one function may be on their way at once, so Redis stores one
 * batch while the worker runs the jobs the previous one claimed, instead of the two taking turns.
 * A second flush only leaves once it is worth a round trip (MIN_CONCURRENT_BATCH jobs, adaptive:
 * half of the last batch); smaller remainders wait for the flush on its way and join the next.
 */
import type {
  ClaimResult,
  DependentRef,
  FinishRequest,
  QueueBackend,
  SettleResult,
} from "../../backend/queue-backend.js";
import type { Logger } from "../observability/logger.js";

interface Pending {
  readonly request: FinishRequest;
  readonly resolve: (result: SettleResult) => void;
}

export interface FinisherOptions {
  readonly backend: QueueBackend;
  readonly workerId: string;
  readonly leaseMs: number;
  readonly maxBatch: number;
  readonly logger: Logger;
  /** How many jobs of `fn` to claim with this flush; the caller reserves them. */
  readonly reserveClaims: (fn: string) => number;
  /** Free running slots, for functions with a concurrency cap. */
  readonly runnable: () => number;
  /** DAG children whose parents just ended, to resolve. */
  readonly onDependents: (dependents: DependentRef[]) => void;
  /** Claimed jobs (and the reservation to release) after a flush. */
  readonly onClaimed: (fn: string, result: ClaimResult, reserved: number) => void;
  /** Whether claims also read the jobs' trace context (an OpenTelemetry SDK records spans). */
  readonly traced: () => boolean;
}

const MAX_RETRY_DELAY_MS = 5_000;
const MAX_IN_FLIGHT = 2;
/** The least a concurrent flush carries, whatever the last batch was. */
const MIN_CONCURRENT_BATCH = 8;

export class Finisher {
  private readonly pending = new Map<string, Pending[]>();
  /** Flushes on their way, per function. */
  private readonly flushing = new Map<string, number>();
  private inFlight = 0;
  /** Size of each function's last batch, for the adaptive size of a concurrent flush. */
  private readonly lastBatch = new Map<string, number>();
  private readonly scheduled = new Set<string>();
  private readonly idleWaiters: (() => void)[] = [];
  private failures = 0;
  /** Finish calls that failed on a Redis error (each is retried). */
  failedCalls = 0;

  constructor(private readonly options: FinisherOptions) {}

  get size(): number {
    let total = 0;
    for (const list of this.pending.values()) total += list.length;
    return total;
  }

  settle(fn: string, request: FinishRequest): Promise<SettleResult> {
    return new Promise((resolve) => {
      let list = this.pending.get(fn);
      if (!list) {
        list = [];
        this.pending.set(fn, list);
      }
      list.push({ request, resolve });
      this.schedule(fn, 0);
    });
  }

  /** Whether another flush of `fn` may leave now (or on the next turn of the event loop). */
  private canFlush(fn: string): boolean {
    const flushing = this.flushing.get(fn) ?? 0;
    if (flushing === 0) return true;
    if (flushing >= MAX_IN_FLIGHT) return false;
    const waiting = this.pending.get(fn)?.length ?? 0;
    return waiting >= Math.max(MIN_CONCURRENT_BATCH, Math.floor((this.lastBatch.get(fn) ?? 0) / 2));
  }

  private schedule(fn: string, delayMs: number): void {
    if (this.scheduled.has(fn) || !this.canFlush(fn)) return;
    this.scheduled.add(fn);
    const run = () => {
      this.scheduled.delete(fn);
      void this.flush(fn);
    };
    // setImmediate lets every job that ends in this turn of the event loop join the batch.
    if (delayMs <= 0) setImmediate(run);
    else setTimeout(run, delayMs);
  }

  private async flush(fn: string): Promise<void> {
    const list = this.pending.get(fn);
    if (!list || list.length === 0 || !this.canFlush(fn)) {
      this.checkIdle();
      return;
    }
    this.flushing.set(fn, (this.flushing.get(fn) ?? 0) + 1);
    this.inFlight++;
    const batch = list.splice(0, this.options.maxBatch);
    this.lastBatch.set(fn, batch.length);
    const reserved = this.options.reserveClaims(fn);
    let retryDelay = 0;
    try {
      const { results, next, dependents } = await this.options.backend.finish(
        fn,
        batch.map((item) => item.request),
        {
          workerId: this.options.workerId,
          count: reserved,
          leaseMs: this.options.leaseMs,
          now: Date.now(),
          runnable: this.options.runnable(),
          traced: this.options.traced(),
        },
      );
      this.failures = 0;
      batch.forEach((item, index) => {
        item.resolve(results[index] ?? "gone");
      });
      this.options.onClaimed(fn, next, reserved);
      if (dependents.length > 0) this.options.onDependents(dependents);
    } catch (error) {
      // Keep the batch, in order, and try again: the leases are still renewed meanwhile.
      list.unshift(...batch);
      this.options.onClaimed(fn, { jobs: [], bad: [], lastId: null }, reserved);
      this.failures++;
      this.failedCalls++;
      retryDelay = Math.min(MAX_RETRY_DELAY_MS, 50 * 2 ** Math.min(this.failures, 10));
      this.options.logger.warn(
        { function: fn, jobs: batch.length, err: String(error), retryInMs: retryDelay },
        "storing job outcomes failed; retrying",
      );
    } finally {
      const flushing = (this.flushing.get(fn) ?? 1) - 1;
      if (flushing > 0) this.flushing.set(fn, flushing);
      else this.flushing.delete(fn);
      this.inFlight--;
    }
    if (list.length > 0) this.schedule(fn, retryDelay);
    else this.checkIdle();
  }

  private checkIdle(): void {
    if (this.size > 0 || this.inFlight > 0) return;
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }

  /** Resolves once every queued finish has been stored. */
  idle(): Promise<void> {
    if (this.size === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
