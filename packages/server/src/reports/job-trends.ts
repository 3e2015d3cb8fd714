/**
 * Trends (GET /api/v1/jobs/trends and the trends stream): outcome counts per bucket from the
 * rollups, zero-filled: per UTC hour for `hours` (at most a week) or the long windows, per minute
 * for the short windows (docs/server.md, "Time windows").
 */
import {
  HOUR_MS,
  type JobTrends,
  type TimeWindowName,
  emptyOutcomeCounts,
  outcomeFigures,
  windowBuckets,
} from "@upnext/core";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { isoTime } from "../lib/iso-time.js";
import { hourStart, rollupBuckets, rollupTableOf } from "../store/stats-queries.js";

export const DEFAULT_TREND_HOURS = 24;
export const MAX_TREND_HOURS = 7 * 24;

export interface TrendsRequest {
  /** Hour buckets to return, 1-MAX_TREND_HOURS; ignored when `window` is given. */
  readonly hours: number;
  /** A named window (its own bucket size); wins over `hours`. */
  readonly window?: TimeWindowName | undefined;
  /** The window ends here (exclusive); the last bucket holds this time. Default now. */
  readonly to?: number | undefined;
  readonly functions?: readonly string[] | undefined;
}

function bucketsOf(request: TrendsRequest, to: number): { from: number; bucketMs: number; count: number } {
  if (request.window !== undefined) return windowBuckets(request.window, to);
  const count = Math.min(Math.max(1, Math.trunc(request.hours)), MAX_TREND_HOURS);
  return { from: hourStart(to - 1) - (count - 1) * HOUR_MS, bucketMs: HOUR_MS, count };
}

export async function jobTrends(deps: ServerDependencies, request: TrendsRequest): Promise<JobTrends> {
  const to = request.to ?? Date.now();
  const { from, bucketMs, count } = bucketsOf(request, to);
  const { functions } = request;
  const table = rollupTableOf(bucketMs);
  const totalsByBucket = await deps.withDatabase((db) => rollupBuckets(db, { from, to, functions, table }));
  const buckets = Array.from({ length: count }, (_, index) => {
    const bucket = from + index * bucketMs;
    const totals = totalsByBucket.get(bucket);
    const figures = outcomeFigures(
      totals?.counts ?? emptyOutcomeCounts(),
      totals?.durationMsTotal ?? 0,
      totals?.queueWaitMsTotal ?? 0,
    );
    return {
      start: isoTime(bucket),
      counts: figures.counts,
      successRate: figures.successRate,
      avgDurationMs: figures.avgDurationMs,
      avgQueueWaitMs: figures.avgQueueWaitMs,
    };
  });
  return {
    window: { from: isoTime(from), to: isoTime(to) },
    functions: functions ? [...functions] : null,
    bucketMs,
    buckets,
  };
}
