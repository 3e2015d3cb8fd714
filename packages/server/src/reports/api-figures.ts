/**
 * Route figures from stored minute rows (docs/http-apis.md): counts add up, latency histograms
 * merge bucket by bucket, and the percentiles are read off the merged histogram
 * (core/api-latency.ts), so an hour's p95 is the p95 of its requests, not an average of minutes.
 */
import {
  LATENCY_BUCKETS,
  type RouteFigures,
  type SparseHistogram,
  type StatusClass,
  addSparseHistogram,
  latencyQuantile,
} from "@upnext/core";
import type { ApiRouteMinutesTable } from "../store/schema.js";

export type MinuteRow = Pick<
  ApiRouteMinutesTable,
  "count" | "s1xx" | "s2xx" | "s3xx" | "s4xx" | "s5xx" | "duration_ms_total" | "buckets"
>;

function parseBuckets(text: string): SparseHistogram {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (pair): pair is [number, number] =>
        Array.isArray(pair) && typeof pair[0] === "number" && typeof pair[1] === "number",
    );
  } catch {
    return [];
  }
}

const round = (value: number | null): number | null =>
  value === null ? null : Math.round(value * 100) / 100;

/** Adds minute rows up; `figures()` answers what they make together. */
export class FiguresAccumulator {
  private count = 0;
  private durationMs = 0;
  private readonly statuses: Record<StatusClass, number> = {
    "1xx": 0,
    "2xx": 0,
    "3xx": 0,
    "4xx": 0,
    "5xx": 0,
  };
  private readonly histogram: number[] = new Array<number>(LATENCY_BUCKETS).fill(0);

  add(row: MinuteRow): void {
    this.count += row.count;
    this.durationMs += row.duration_ms_total;
    this.statuses["1xx"] += row.s1xx;
    this.statuses["2xx"] += row.s2xx;
    this.statuses["3xx"] += row.s3xx;
    this.statuses["4xx"] += row.s4xx;
    this.statuses["5xx"] += row.s5xx;
    addSparseHistogram(this.histogram, parseBuckets(row.buckets));
  }

  figures(): RouteFigures {
    const count = this.count;
    return {
      count,
      statuses: { ...this.statuses },
      errorRate: count === 0 ? 0 : this.statuses["5xx"] / count,
      avgMs: count === 0 ? null : round(this.durationMs / count),
      p50Ms: round(latencyQuantile(this.histogram, 0.5)),
      p95Ms: round(latencyQuantile(this.histogram, 0.95)),
      p99Ms: round(latencyQuantile(this.histogram, 0.99)),
    };
  }
}

/** Figures per time bucket from `from` to `to` (every bucket present, empty ones with zeros). */
export function figuresByBucket(
  rows: readonly (MinuteRow & { readonly minute: number })[],
  from: number,
  to: number,
  bucketMs: number,
): { at: number; figures: RouteFigures }[] {
  const start = Math.floor(from / bucketMs) * bucketMs;
  const accumulators = new Map<number, FiguresAccumulator>();
  for (let at = start; at < to; at += bucketMs) accumulators.set(at, new FiguresAccumulator());
  for (const row of rows) {
    const at = Math.floor(row.minute / bucketMs) * bucketMs;
    accumulators.get(at)?.add(row);
  }
  return [...accumulators].map(([at, accumulator]) => ({ at, figures: accumulator.figures() }));
}
