/**
 * The worker's figures in the Prometheus text format, through a prom-client Registry of its own
 * (never the global one). Nothing here counts: every metric reads `worker.metrics()` when it is
 * scraped (one snapshot per scrape), so `/metrics` and `worker.metrics()` always agree and the
 * hot path pays nothing for Prometheus. docs/observability.md lists every metric.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from "prom-client";
import type { HistogramSnapshot } from "./job-stats.js";
import type { WorkerMetrics } from "../worker-runtime.js";

type Labels = Readonly<Record<string, string>>;
type Sample = readonly [Labels, number];
type Read = (metrics: WorkerMetrics) => Iterable<Sample>;

const NO_LABELS: Labels = {};

/** A histogram whose buckets come from a snapshot (prom-client's Histogram can only observe). */
class SnapshotHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly read: (metrics: WorkerMetrics) => Iterable<readonly [Labels, HistogramSnapshot]>,
    private readonly snapshot: () => WorkerMetrics | undefined,
  ) {}

  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: { metricName: string; labels: Record<string, string | number>; value: number }[];
  }> {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    const metrics = this.snapshot();
    if (metrics) {
      for (const [labels, histogram] of this.read(metrics)) {
        for (const bucket of histogram.buckets) {
          values.push({
            metricName: `${this.name}_bucket`,
            labels: { ...labels, le: Number.isFinite(bucket.le) ? bucket.le : "+Inf" },
            value: bucket.count,
          });
        }
        values.push({ metricName: `${this.name}_sum`, labels: { ...labels }, value: histogram.sum });
        values.push({ metricName: `${this.name}_count`, labels: { ...labels }, value: histogram.count });
      }
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }

  /** Registry.resetMetrics(): nothing to reset, the figures belong to the worker. */
  reset(): void {
    // Nothing is stored here.
  }
}

function* perFunction(
  metrics: WorkerMetrics,
  value: (fn: WorkerMetrics["functions"][string]) => number,
): Iterable<Sample> {
  for (const [fn, figures] of Object.entries(metrics.functions)) yield [{ function: fn }, value(figures)];
}

export interface PrometheusOptions {
  /** The worker's name, for `upnext_worker_info`. */
  readonly workerName: string;
  /** Also export prom-client's default process metrics (CPU, memory, event loop lag; default true). */
  readonly processMetrics?: boolean;
}

/**
 * A Registry holding every `upnext_*` metric of one worker, read from `source` at scrape time
 * (`source` answers undefined before the worker starts: the metrics then have no samples).
 */
export function workerRegistry(
  source: () => WorkerMetrics | undefined,
  options: PrometheusOptions,
): Registry {
  const registry = new Registry();
  // One snapshot per scrape: every collector of one registry.metrics() call runs in the same
  // synchronous pass, so the snapshot is dropped once that pass is over.
  let current: WorkerMetrics | undefined | null = null;
  const snapshot = (): WorkerMetrics | undefined => {
    if (current === null) {
      current = source();
      queueMicrotask(() => {
        current = null;
      });
    }
    return current;
  };

  const counter = (name: string, help: string, labelNames: readonly string[], read: Read): void => {
    const metric: Counter = new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect: () => {
        metric.reset();
        const metrics = snapshot();
        if (!metrics) return;
        for (const [labels, value] of read(metrics)) {
          if (labelNames.length === 0) metric.inc(value);
          else metric.inc(labels, value);
        }
      },
    });
  };
  const gauge = (name: string, help: string, labelNames: readonly string[], read: Read): void => {
    const metric: Gauge = new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect: () => {
        metric.reset();
        const metrics = snapshot();
        if (!metrics) return;
        for (const [labels, value] of read(metrics)) {
          if (labelNames.length === 0) metric.set(value);
          else metric.set(labels, value);
        }
      },
    });
  };
  const histogram = (
    name: string,
    help: string,
    labelNames: readonly string[],
    read: (metrics: WorkerMetrics) => Iterable<readonly [Labels, HistogramSnapshot]>,
  ): void => {
    // prom-client formats any object with a name, a type and get(); its types only name its own classes.
    registry.registerMetric(
      new SnapshotHistogram(name, help, labelNames, read, snapshot) as unknown as Metric,
    );
  };
  const single = (value: (metrics: WorkerMetrics) => number): Read =>
    function* (metrics) {
      yield [NO_LABELS, value(metrics)];
    };

  // ---- jobs, by function ----------------------------------------------------------------------
  counter("upnext_jobs_started_total", "Attempts this worker started.", ["function"], (m) =>
    perFunction(m, (f) => f.started),
  );
  counter("upnext_jobs_completed_total", "Attempts that completed their job.", ["function"], (m) =>
    perFunction(m, (f) => f.completed),
  );
  counter(
    "upnext_jobs_failed_total",
    "Attempts that failed their job for good (it is dead-lettered), by failure reason.",
    ["function", "reason"],
    function* (m) {
      for (const [fn, figures] of Object.entries(m.functions)) {
        // The usual reasons are always present (at 0), so rate() and alerts see the series from the start.
        const byReason = { exception: 0, timeout: 0, invalid_input: 0, ...figures.failedByReason };
        for (const [reason, count] of Object.entries(byReason)) yield [{ function: fn, reason }, count];
      }
    },
  );
  counter(
    "upnext_jobs_retried_total",
    "Attempts that failed and were scheduled to run again.",
    ["function"],
    (m) => perFunction(m, (f) => f.retried),
  );
  counter(
    "upnext_jobs_cancelled_total",
    "Jobs held by this worker (prefetched or running) that were cancelled.",
    ["function"],
    (m) => perFunction(m, (f) => f.cancelled),
  );
  counter(
    "upnext_jobs_timed_out_total",
    "Attempts that ran past their timeout (also counted as failed or retried).",
    ["function"],
    (m) => perFunction(m, (f) => f.timedOut),
  );
  counter(
    "upnext_jobs_dead_lettered_total",
    "Jobs this worker dead-lettered: failed attempts plus expired leases failed as lost.",
    ["function"],
    (m) => perFunction(m, (f) => f.deadLettered),
  );
  counter(
    "upnext_lease_expiries_total",
    "Expired leases this worker recovered: requeued for another delivery, or failed as lost.",
    ["function", "outcome"],
    function* (m) {
      for (const [fn, figures] of Object.entries(m.functions)) {
        yield [{ function: fn, outcome: "requeued" }, figures.leaseExpiries.requeued];
        yield [{ function: fn, outcome: "lost" }, figures.leaseExpiries.lost];
      }
    },
  );
  gauge("upnext_jobs_active", "Jobs running now.", ["function"], (m) => perFunction(m, (f) => f.active));
  histogram(
    "upnext_job_duration_seconds",
    "How long attempts ran, by how they were settled (complete, retry, failed).",
    ["function", "outcome"],
    function* (m) {
      for (const [fn, figures] of Object.entries(m.functions))
        for (const [outcome, snapshot] of Object.entries(figures.duration))
          yield [{ function: fn, outcome }, snapshot] as const;
    },
  );
  histogram(
    "upnext_job_queue_wait_seconds",
    "Time from a job being due (submitted, or scheduled for) to its attempt starting.",
    ["function"],
    function* (m) {
      for (const [fn, figures] of Object.entries(m.functions))
        yield [{ function: fn }, figures.queueWait] as const;
    },
  );
  gauge(
    "upnext_queue_depth_jobs",
    "Jobs of the worker's functions by state (ready, scheduled, waiting, leased, dead_lettered), sampled on a timer.",
    ["function", "state"],
    function* (m) {
      for (const [fn, depth] of Object.entries(m.queueDepth?.functions ?? {})) {
        yield [{ function: fn, state: "ready" }, depth.ready];
        yield [{ function: fn, state: "scheduled" }, depth.scheduled];
        yield [{ function: fn, state: "waiting" }, depth.waiting];
        yield [{ function: fn, state: "leased" }, depth.leased];
        yield [{ function: fn, state: "dead_lettered" }, depth.deadLettered];
      }
    },
  );
  gauge(
    "upnext_queue_depth_sample_timestamp_seconds",
    "When the queue depth was last sampled (Unix time).",
    [],
    function* (m) {
      if (m.queueDepth) yield [NO_LABELS, m.queueDepth.at / 1000];
    },
  );

  // ---- the worker -------------------------------------------------------------------------------
  gauge(
    "upnext_worker_info",
    "Always 1; labels identify the worker.",
    ["worker_id", "worker_name"],
    function* (m) {
      yield [{ worker_id: m.workerId, worker_name: options.workerName }, 1];
    },
  );
  gauge(
    "upnext_worker_concurrency_slots",
    "Jobs this worker runs at once at most.",
    [],
    single((m) => m.concurrency),
  );
  gauge(
    "upnext_jobs_prefetched",
    "Jobs claimed ahead of a free slot, waiting to start.",
    [],
    single((m) => m.prefetched),
  );
  counter(
    "upnext_jobs_handed_back_total",
    "Jobs handed back to the queue at shutdown.",
    [],
    single((m) => m.jobs.handedBack),
  );
  counter(
    "upnext_finishes_discarded_total",
    "Outcomes discarded because the job's lease had been lost (it was re-delivered or settled elsewhere).",
    [],
    single((m) => m.jobs.discardedFinishes),
  );
  counter(
    "upnext_stream_entries_bad_total",
    "Stream entries acknowledged without a job to run (malformed, or their job was gone).",
    [],
    single((m) => m.jobs.badEntries),
  );
  counter(
    "upnext_jobs_promoted_total",
    "Scheduled and retrying jobs this worker moved to their queue.",
    [],
    single((m) => m.promoted),
  );
  gauge(
    "upnext_claims_cache_entries",
    "Jobs the worker holds a lease on.",
    [],
    single((m) => m.claimsCacheSize),
  );
  counter(
    "upnext_claims_cache_evictions_total",
    "Stale claims-cache entries evicted (their leases lapse and the queue re-delivers them).",
    [],
    single((m) => m.claimsCacheEvicted),
  );
  counter(
    "upnext_redis_errors_total",
    "Failed Redis round trips, by operation (each is retried or recovered from).",
    ["operation"],
    function* (m) {
      for (const [operation, count] of Object.entries(m.redisErrors)) yield [{ operation }, count];
    },
  );

  // ---- status events ------------------------------------------------------------------------------
  gauge(
    "upnext_status_buffer_events",
    "Status events waiting in memory to be written.",
    [],
    single((m) => m.statusBuffer.buffered),
  );
  gauge(
    "upnext_status_buffer_capacity_events",
    "Capacity of the status event buffer (UPNEXT_STATUS_BUFFER_SIZE).",
    [],
    single((m) => m.statusBuffer.capacity),
  );
  gauge(
    "upnext_status_buffer_bytes",
    "Bytes of JSON in the status event buffer.",
    [],
    single((m) => m.statusBuffer.bufferedBytes),
  );
  gauge(
    "upnext_status_buffer_capacity_bytes",
    "Bound of the status event buffer in bytes (UPNEXT_STATUS_BUFFER_BYTES).",
    [],
    single((m) => m.statusBuffer.maxBytes),
  );
  gauge(
    "upnext_status_buffer_fullness_ratio",
    "Buffered status events / capacity (0-1); at 1 the overflow strategy applies.",
    [],
    single((m) => m.statusBuffer.fullness),
  );
  gauge(
    "upnext_status_publishers_blocked",
    "Publishers waiting for buffer space (overflow strategy block).",
    [],
    single((m) => m.statusBuffer.blockedPublishers),
  );
  counter(
    "upnext_status_events_written_total",
    "Status events written to the status stream.",
    [],
    single((m) => m.statusBuffer.written),
  );
  counter(
    "upnext_status_events_dropped_total",
    "Status events dropped (overflow strategy drop-oldest or drop-newest, or unwritable at close).",
    ["strategy"],
    function* (m) {
      yield [{ strategy: m.statusBuffer.overflow }, m.statusBuffer.dropped];
    },
  );
  counter(
    "upnext_status_events_dropped_non_lifecycle_total",
    "Progress, log, metric and heartbeat events dropped, oldest first, at the status buffer's bound (part of upnext_status_events_dropped_total).",
    [],
    single((m) => m.statusBuffer.droppedNonLifecycle),
  );
  counter(
    "upnext_status_events_spilled_total",
    "Status events spilled to the Redis spill list (overflow strategy spill).",
    [],
    single((m) => m.statusBuffer.spilled),
  );

  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}
