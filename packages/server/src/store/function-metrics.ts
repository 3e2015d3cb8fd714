/**
 * A function's figures over the last 24 hours, the same object for the functions list and the
 * function detail: outcome counts and averages from the rollups, and a p95 run time over a
 * bounded sample of the most recent completed jobs (never every job of the day).
 */
import { type FunctionMetrics, emptyOutcomeCounts, outcomeFigures } from "@upnext/core";
import type { Kysely } from "kysely";
import { isoTime } from "../lib/iso-time.js";
import { recentDurations } from "./job-queries.js";
import type { HistorySchema } from "./schema.js";
import { HOUR_MS, hourStart, rollupTotalsByFunction } from "./stats-queries.js";

export const METRICS_WINDOW_MS = 24 * HOUR_MS;
/** Completed jobs the p95 run time is taken over, at most (the most recent ones). */
export const DURATION_SAMPLE_SIZE = 500;
const P95 = 0.95;

/** Nearest-rank percentile of ascending-sorted values, or null for none. */
export function percentile(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1] ?? null;
}

/** The metrics of each named function (functions without jobs get zeros). */
export async function functionMetrics(
  db: Kysely<HistorySchema>,
  names: readonly string[],
  now: number,
): Promise<Map<string, FunctionMetrics>> {
  const metrics = new Map<string, FunctionMetrics>();
  if (names.length === 0) return metrics;
  const from = hourStart(now - METRICS_WINDOW_MS);
  const totals = await rollupTotalsByFunction(db, { from, to: now, functions: names });
  const samples = await Promise.all(
    names.map((name) =>
      (totals.get(name)?.counts.complete ?? 0) > 0
        ? recentDurations(db, name, from, DURATION_SAMPLE_SIZE)
        : Promise.resolve([]),
    ),
  );
  names.forEach((name, index) => {
    const total = totals.get(name);
    const sample = [...(samples[index] ?? [])].sort((a, b) => a - b);
    metrics.set(name, {
      window: { from: isoTime(from), to: isoTime(now) },
      ...(total
        ? outcomeFigures(total.counts, total.durationMsTotal, total.queueWaitMsTotal)
        : outcomeFigures(emptyOutcomeCounts(), 0, 0)),
      p95DurationMs: percentile(sample, P95),
      p95SampleSize: sample.length,
    });
  });
  return metrics;
}
