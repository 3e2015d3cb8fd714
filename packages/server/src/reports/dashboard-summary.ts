/**
 * The dashboard summary (GET /api/v1/dashboard/summary and the dashboard stream): the figures of
 * the asked-for window (and of the last hour and day) from the rollups, workers online,
 * queue depth, and the runbook panels (failing functions, stuck jobs, oldest queued, growing
 * dead letters), each row with the list filter that shows what is behind it.
 */
import {
  type DashboardSummary,
  DEFAULT_TIME_WINDOW,
  type ListLink,
  MINUTE_MS,
  MINUTE_ROLLUP_RETENTION_MS,
  type PeriodSummary,
  type TimeWindowName,
  outcomeFigures,
  windowBuckets,
} from "@upnext/core";
import type { Kysely } from "kysely";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { isoTime } from "../lib/iso-time.js";
import { functionNames, readFunctionRecords } from "../registry/function-registry.js";
import { readQueueCounts, sumQueueCounts } from "../registry/queue-depths.js";
import { countWorkers, onlineSince } from "../registry/worker-registry.js";
import { activeStartedBefore, oldestQueued } from "../store/job-queries.js";
import type { HistorySchema } from "../store/schema.js";
import { ROLLUP_TABLES } from "../store/schema.js";
import {
  firstBucketWithData,
  minuteStart,
  rollupTableOf,
  rollupTotals,
  rollupTotalsByFunction,
} from "../store/stats-queries.js";

/** Rows per runbook panel. */
export const PANEL_ROWS = 5;
/** Active jobs past the shortest timeout that are checked against their own function's timeout. */
export const STUCK_SCAN_LIMIT = 1_000;

/** A link to the jobs list (or another list) with these filters. */
export function listLink(path: string, filter: Record<string, string | string[]>): ListLink {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
  }
  return { filter, href: `${path}?${params.toString()}` };
}

/**
 * Where the window's data starts: the first minute with any rollup (minute rollups reach back
 * MINUTE_ROLLUP_RETENTION_MS), else the first hour with one, else the window's start.
 */
async function dataStart(db: Kysely<HistorySchema>, from: number, now: number): Promise<number> {
  const minuteFrom = Math.max(from, minuteStart(now - MINUTE_ROLLUP_RETENTION_MS));
  const firstMinute = await firstBucketWithData(db, {
    from: minuteFrom,
    to: now,
    table: ROLLUP_TABLES.minute,
  });
  if (firstMinute !== null && (firstMinute > minuteFrom || minuteFrom === from)) return firstMinute;
  const firstHour = await firstBucketWithData(db, { from, to: now, table: ROLLUP_TABLES.hour });
  return Math.max(from, firstHour ?? from);
}

async function period(db: Kysely<HistorySchema>, name: TimeWindowName, now: number): Promise<PeriodSummary> {
  const { from, bucketMs } = windowBuckets(name, now);
  const [totals, rateFrom] = await Promise.all([
    rollupTotals(db, { from, to: now, table: rollupTableOf(bucketMs) }),
    dataStart(db, from, now),
  ]);
  // At least a minute, so the first seconds of a new service do not read as a burst.
  const minutes = Math.max(1, (now - rateFrom) / MINUTE_MS);
  const { counts } = totals;
  return {
    window: { from: isoTime(from), to: isoTime(now) },
    rateFrom: isoTime(rateFrom),
    ...outcomeFigures(counts, totals.durationMsTotal, totals.queueWaitMsTotal),
    submittedPerMinute: counts.submitted / minutes,
    finishedPerMinute: (counts.complete + counts.failed + counts.cancelled) / minutes,
  };
}

/** Computes the summary now; Redis and the database are reached through deps (503 when down). */
export async function dashboardSummary(
  deps: ServerDependencies,
  windowName: TimeWindowName = DEFAULT_TIME_WINDOW,
): Promise<DashboardSummary> {
  const now = Date.now();
  const since = onlineSince(now, deps.config.heartbeatInterval);
  const redisPart = await deps.withRedis(async (redis) => {
    const names = await functionNames(redis, deps.keys);
    const [records, depths, workers] = await Promise.all([
      readFunctionRecords(redis, deps.namespace, deps.keys, names),
      readQueueCounts(redis, deps.namespace, names, now),
      countWorkers(redis, deps.keys, since),
    ]);
    return { records, depths, workers };
  });
  const timeoutOf = new Map(
    redisPart.records.map((record) => [record.name, record.timeoutMs ?? deps.config.defaultTimeout]),
  );
  const shortestTimeout = Math.min(deps.config.defaultTimeout, ...timeoutOf.values());
  const window = windowBuckets(windowName, now);
  const history = await deps.withDatabase((db) =>
    Promise.all([
      period(db, windowName, now),
      period(db, "1h", now),
      period(db, "24h", now),
      rollupTotalsByFunction(db, { from: window.from, to: now, table: rollupTableOf(window.bucketMs) }),
      activeStartedBefore(db, now - shortestTimeout, STUCK_SCAN_LIMIT),
      oldestQueued(db, PANEL_ROWS),
    ]),
  );
  const [windowPeriod, lastHour, last24h, byFunction, active, queued] = history;

  const failingFunctions = [...byFunction]
    .filter(([, total]) => total.counts.failed > 0)
    .map(([fn, total]) => {
      const figures = outcomeFigures(total.counts, total.durationMsTotal, total.queueWaitMsTotal);
      return {
        function: fn,
        failed: total.counts.failed,
        complete: total.counts.complete,
        successRate: figures.successRate,
        link: listLink("/api/v1/jobs", { function: fn, status: "failed", from: isoTime(window.from) }),
      };
    })
    .sort((a, b) => (a.successRate ?? 0) - (b.successRate ?? 0) || b.failed - a.failed)
    .slice(0, PANEL_ROWS);

  const stuckJobs = active
    .flatMap((row) => {
      const timeoutMs = timeoutOf.get(row.function) ?? deps.config.defaultTimeout;
      const startedAt = row.started_at;
      if (startedAt === null || now - startedAt <= timeoutMs) return [];
      return [
        {
          id: row.id,
          function: row.function,
          workerId: row.worker_id,
          startedAt: isoTime(startedAt),
          activeForMs: now - startedAt,
          timeoutMs,
          link: listLink("/api/v1/jobs", { function: row.function, status: "active" }),
        },
      ];
    })
    .slice(0, PANEL_ROWS);

  const oldestQueuedRows = queued.map((row) => ({
    id: row.id,
    function: row.function,
    createdAt: isoTime(row.created_at),
    ageMs: Math.max(0, now - row.created_at),
    link: listLink("/api/v1/jobs", { function: row.function, status: "queued" }),
  }));

  const growingDeadLetters = [...redisPart.depths]
    .filter(([, counts]) => counts.deadLetteredLastHour > 0)
    .sort(([, a], [, b]) => b.deadLetteredLastHour - a.deadLetteredLastHour)
    .slice(0, PANEL_ROWS)
    .map(([fn, counts]) => ({
      function: fn,
      deadLettered: counts.deadLettered,
      addedLastHour: counts.deadLetteredLastHour,
      link: listLink("/api/v1/dead-letters", { function: fn }),
    }));

  return {
    generatedAt: isoTime(now),
    windowName,
    period: windowPeriod,
    lastHour,
    last24h,
    workers: redisPart.workers,
    queue: sumQueueCounts(redisPart.depths.values()),
    runbook: { failingFunctions, stuckJobs, oldestQueued: oldestQueuedRows, growingDeadLetters },
  };
}
