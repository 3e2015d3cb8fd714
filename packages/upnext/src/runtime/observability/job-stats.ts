/**
 * What a worker counts about the jobs it runs, per function: plain numbers and fixed-bucket
 * histograms updated on the hot path without allocating, read by `worker.metrics()` and, at
 * scrape time, by the Prometheus exporter (prometheus-metrics.ts) — one set of figures for both.
 */

/** Upper bounds (seconds) of the job duration buckets: 5 ms to 1 h. */
export const DURATION_BUCKETS_S: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];

/** Upper bounds (seconds) of the queue-wait buckets: 1 ms to 1 h. */
export const QUEUE_WAIT_BUCKETS_S: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];

export interface HistogramSnapshot {
  /** Cumulative counts: observations <= `le` (seconds); the last bucket is `le: Infinity`. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  /** Sum of every observation, in seconds. */
  readonly sum: number;
  readonly count: number;
}

export class Histogram {
  /** Per bucket (not cumulative); the last slot counts observations above every bound. */
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(seconds: number): void {
    const bounds = this.bounds;
    let index = 0;
    while (index < bounds.length && seconds > (bounds[index] ?? Infinity)) index++;
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.sum += seconds;
    this.count++;
  }

  snapshot(): HistogramSnapshot {
    let cumulative = 0;
    const buckets = this.counts.map((count, index) => {
      cumulative += count;
      return { le: this.bounds[index] ?? Infinity, count: cumulative };
    });
    return { buckets, sum: this.sum, count: this.count };
  }
}

/** How an attempt that ran to the end was settled. */
export type SettledKind = "complete" | "failed" | "retry";

/** One function's figures in `worker.metrics().functions`. */
export interface FunctionMetrics {
  /** Attempts this worker started (handler or input validation began). */
  readonly started: number;
  readonly completed: number;
  /** Attempts that failed the job for good (and dead-lettered it), by any reason. */
  readonly failed: number;
  /** `failed`, split by failure reason (exception, timeout, invalid_input). */
  readonly failedByReason: Readonly<Record<string, number>>;
  /** Attempts that failed and were scheduled to run again. */
  readonly retried: number;
  /** Jobs of this worker cancelled while prefetched or running. */
  readonly cancelled: number;
  /** Attempts that ran past their timeout (counted in `failed` or `retried` too). */
  readonly timedOut: number;
  /** Jobs dead-lettered by this worker: `failed` plus jobs its recovery found lost. */
  readonly deadLettered: number;
  /** Expired leases this worker recovered: re-queued, or failed as `lost`. */
  readonly leaseExpiries: { readonly requeued: number; readonly lost: number };
  /** Jobs running now. */
  readonly active: number;
  /** Handler time of attempts by how they were settled, in seconds. */
  readonly duration: Readonly<Record<SettledKind, HistogramSnapshot>>;
  /** Time from due (submitted, or scheduled for) to start, in seconds. */
  readonly queueWait: HistogramSnapshot;
}

/** The mutable counters of one function (see FunctionMetrics for their meaning). */
export class FunctionStats {
  started = 0;
  completed = 0;
  failed = 0;
  retried = 0;
  cancelled = 0;
  timedOut = 0;
  active = 0;
  leaseRequeued = 0;
  leaseLost = 0;
  private readonly failures = new Map<string, number>();
  private readonly durations: Record<SettledKind, Histogram> = {
    complete: new Histogram(DURATION_BUCKETS_S),
    failed: new Histogram(DURATION_BUCKETS_S),
    retry: new Histogram(DURATION_BUCKETS_S),
  };
  readonly queueWait = new Histogram(QUEUE_WAIT_BUCKETS_S);

  /** An attempt was settled as `kind` after `seconds` of running. */
  settled(kind: SettledKind, seconds: number, reason: string | undefined, timedOut: boolean): void {
    if (kind === "complete") this.completed++;
    else if (kind === "retry") this.retried++;
    else {
      this.failed++;
      const key = reason ?? "exception";
      this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    }
    if (timedOut) this.timedOut++;
    this.durations[kind].observe(seconds);
  }

  snapshot(): FunctionMetrics {
    return {
      started: this.started,
      completed: this.completed,
      failed: this.failed,
      failedByReason: Object.fromEntries(this.failures),
      retried: this.retried,
      cancelled: this.cancelled,
      timedOut: this.timedOut,
      deadLettered: this.failed + this.leaseLost,
      leaseExpiries: { requeued: this.leaseRequeued, lost: this.leaseLost },
      active: this.active,
      duration: {
        complete: this.durations.complete.snapshot(),
        failed: this.durations.failed.snapshot(),
        retry: this.durations.retry.snapshot(),
      },
      queueWait: this.queueWait.snapshot(),
    };
  }
}

/** FunctionStats by function name; a worker's own functions exist from the start (at zero). */
export class JobStats {
  private readonly byFunction = new Map<string, FunctionStats>();

  constructor(functions: Iterable<string> = []) {
    for (const fn of functions) this.byFunction.set(fn, new FunctionStats());
  }

  of(fn: string): FunctionStats {
    let stats = this.byFunction.get(fn);
    if (!stats) {
      stats = new FunctionStats();
      this.byFunction.set(fn, stats);
    }
    return stats;
  }

  /** Sums over every function. */
  totals(): {
    completed: number;
    failed: number;
    retried: number;
    cancelled: number;
    timedOut: number;
    requeued: number;
    lost: number;
  } {
    const out = { completed: 0, failed: 0, retried: 0, cancelled: 0, timedOut: 0, requeued: 0, lost: 0 };
    for (const stats of this.byFunction.values()) {
      out.completed += stats.completed;
      out.failed += stats.failed;
      out.retried += stats.retried;
      out.cancelled += stats.cancelled;
      out.timedOut += stats.timedOut;
      out.requeued += stats.leaseRequeued;
      out.lost += stats.leaseLost;
    }
    return out;
  }

  snapshot(): Record<string, FunctionMetrics> {
    const out: Record<string, FunctionMetrics> = {};
    for (const [fn, stats] of [...this.byFunction].sort(([a], [b]) => a.localeCompare(b)))
      out[fn] = stats.snapshot();
    return out;
  }
}
