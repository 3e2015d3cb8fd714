/**
 * The server's Prometheus metrics: one prom-client Registry per server (never the global one),
 * so tests and several apps in one process keep their figures apart. Parts of the server add
 * their metrics to `registry`; `GET /metrics` (routes/metrics-routes.ts) serves it.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Batch durations: from a few rows on SQLite to a large PostgreSQL batch. */
const BATCH_DURATION_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface IngestMetrics {
  /** Entries handled, by result: stored, duplicate (stored before), ignored (worker / event.sent). */
  readonly events: Counter<"result">;
  /** Entries that were not valid status events, by reason (missing_field, invalid_json, invalid_event). */
  readonly invalid: Counter<"reason">;
  /** Entries moved to the dead-letter stream, by reason (the invalid ones, processing_failed, max_attempts). */
  readonly deadLettered: Counter<"reason">;
  /** Entries the stream had trimmed (MAXLEN) before they were ingested. */
  readonly trimmed: Counter;
  /** Failed attempts, by what failed: redis, database, processing. */
  readonly failures: Counter<"dependency">;
  readonly batchDuration: Histogram;
  /** now - `at` of the newest event applied, when it was applied. */
  readonly lag: Gauge;
  /** Entries of the status stream not yet delivered to the consumer group. */
  readonly backlog: Gauge;
  /** Entries delivered to the group and not yet acknowledged. */
  readonly pending: Gauge;
}

export interface AlertMetrics {
  /** Subjects (functions, or the namespace) each rule is firing for. */
  readonly firing: Gauge<"rule">;
  /** Notifications, by status (firing, resolved) and result (sent, failed, logged: no webhook set). */
  readonly notifications: Counter<"status" | "result">;
}

export interface RetentionMetrics {
  readonly deletedJobs: Counter;
}

export interface ServerMetrics {
  readonly registry: Registry;
  readonly ingest: IngestMetrics;
  readonly alerts: AlertMetrics;
  readonly retention: RetentionMetrics;
}

export interface ServerMetricsOptions {
  /**
   * Also export prom-client's process metrics (CPU, memory, event loop). Off by default: they
   * start timers, and a process should collect them into one registry only.
   */
  readonly processMetrics?: boolean;
}

export function createServerMetrics(options: ServerMetricsOptions = {}): ServerMetrics {
  const registry = new Registry();
  if (options.processMetrics === true)
    collectDefaultMetrics({ register: registry, prefix: "upnext_server_" });
  const registers = [registry];
  return {
    registry,
    ingest: {
      events: new Counter({
        name: "upnext_server_ingest_events_total",
        help: "Status-stream entries ingested, by result: stored, duplicate (already stored), ignored (worker and event.sent events).",
        labelNames: ["result"],
        registers,
      }),
      invalid: new Counter({
        name: "upnext_server_ingest_invalid_events_total",
        help: "Status-stream entries that were not valid status events, by reason.",
        labelNames: ["reason"],
        registers,
      }),
      deadLettered: new Counter({
        name: "upnext_server_ingest_dead_lettered_total",
        help: "Status-stream entries moved to the ingest dead-letter stream, by reason.",
        labelNames: ["reason"],
        registers,
      }),
      trimmed: new Counter({
        name: "upnext_server_ingest_trimmed_total",
        help: "Pending status-stream entries that the stream's MAXLEN had removed before they were ingested.",
        registers,
      }),
      failures: new Counter({
        name: "upnext_server_ingest_failures_total",
        help: "Failed ingest attempts, by what failed: redis, database or processing (the batch is retried).",
        labelNames: ["dependency"],
        registers,
      }),
      batchDuration: new Histogram({
        name: "upnext_server_ingest_batch_duration_seconds",
        help: "Time to apply one batch of status events to the history (one transaction).",
        buckets: BATCH_DURATION_BUCKETS_S,
        registers,
      }),
      lag: new Gauge({
        name: "upnext_server_ingest_lag_seconds",
        help: "How far behind the history is: now minus the time of the newest event applied, when it was applied.",
        registers,
      }),
      backlog: new Gauge({
        name: "upnext_server_ingest_backlog_events",
        help: "Status-stream entries not yet delivered to the history consumer group.",
        registers,
      }),
      pending: new Gauge({
        name: "upnext_server_ingest_pending_events",
        help: "Status-stream entries delivered to the history consumer group and not yet acknowledged.",
        registers,
      }),
    },
    alerts: {
      firing: new Gauge({
        name: "upnext_server_alerts_firing",
        help: "Subjects (functions, or the whole namespace) each alert rule is firing for.",
        labelNames: ["rule"],
        registers,
      }),
      notifications: new Counter({
        name: "upnext_server_alert_notifications_total",
        help: "Alert notifications, by status (firing, resolved) and result (sent, failed, logged when no webhook is set).",
        labelNames: ["status", "result"],
        registers,
      }),
    },
    retention: {
      deletedJobs: new Counter({
        name: "upnext_server_retention_deleted_jobs_total",
        help: "Jobs the retention sweep deleted from the history.",
        registers,
      }),
    },
  };
}
