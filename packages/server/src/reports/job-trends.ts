/**
 * Hourly trends (GET /api/v1/jobs/trends and the trends stream): outcome counts per UTC hour
 * from the rollups, zero-filled, at most a week.
 */
import { type JobTrends, emptyOutcomeCounts, outcomeFigures } from "@upnext/core";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { isoTime } from "../lib/iso-time.js";
import { HOUR_MS, hourStart, rollupHourly } from "../store/stats-queries.js";

export const DEFAULT_TREND_HOURS = 24;
export const MAX_TREND_HOURS = 7 * 24;

export interface TrendsRequest {
  /** Buckets to return, 1-MAX_TREND_HOURS. */
  readonly hours: number;
  /** The window ends here (exclusive); the last bucket is this time's hour. Default now. */
  readonly to?: number | undefined;
  readonly functions?: readonly string[] | undefined;
}

export async function jobTrends(deps: ServerDependencies, request: TrendsRequest): Promise<JobTrends> {
  const hours = Math.min(Math.max(1, Math.trunc(request.hours)), MAX_TREND_HOURS);
  const to = request.to ?? Date.now();
  const last = hourStart(to - 1);
  const from = last - (hours - 1) * HOUR_MS;
  const { functions } = request;
  const hourly = await deps.withDatabase((db) => rollupHourly(db, { from, to, functions }));
  const buckets = Array.from({ length: hours }, (_, index) => {
    const bucket = from + index * HOUR_MS;
    const totals = hourly.get(bucket);
    const figures = outcomeFigures(
      totals?.counts ?? emptyOutcomeCounts(),
      totals?.durationMsTotal ?? 0,
      totals?.queueWaitMsTotal ?? 0,
    );
    return {
      hour: isoTime(bucket),
      counts: figures.counts,
      successRate: figures.successRate,
      avgDurationMs: figures.avgDurationMs,
      avgQueueWaitMs: figures.avgQueueWaitMs,
    };
  });
  return {
    window: { from: isoTime(from), to: isoTime(to) },
    functions: functions ? [...functions] : null,
    buckets,
  };
}
