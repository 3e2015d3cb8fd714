/**
 * The time windows the overview and function pages offer, and the bucket each is drawn in: minute
 * buckets for the short windows (from the per-minute rollups, kept for MINUTE_ROLLUP_RETENTION_MS),
 * hour buckets for the long ones (from the hourly rollups, kept as long as the history).
 */
import { z } from "zod";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

export const TIME_WINDOWS = {
  "15m": { ms: 15 * MINUTE_MS, bucketMs: MINUTE_MS },
  "1h": { ms: HOUR_MS, bucketMs: MINUTE_MS },
  "6h": { ms: 6 * HOUR_MS, bucketMs: MINUTE_MS },
  "24h": { ms: 24 * HOUR_MS, bucketMs: HOUR_MS },
  "7d": { ms: 7 * 24 * HOUR_MS, bucketMs: HOUR_MS },
} as const satisfies Record<string, { readonly ms: number; readonly bucketMs: number }>;

export type TimeWindowName = keyof typeof TIME_WINDOWS;
export const TIME_WINDOW_NAMES = Object.keys(TIME_WINDOWS) as [TimeWindowName, ...TimeWindowName[]];
export const DEFAULT_TIME_WINDOW: TimeWindowName = "1h";

/**
 * How long per-minute rollups are kept: the longest window drawn in minutes (6 h) with room to
 * spare. Older minutes are still counted in the hourly rollups.
 */
export const MINUTE_ROLLUP_RETENTION_MS = 24 * HOUR_MS;

export function isTimeWindowName(value: unknown): value is TimeWindowName {
  return typeof value === "string" && Object.hasOwn(TIME_WINDOWS, value);
}

export const timeWindowNameSchema = z.enum(TIME_WINDOW_NAMES);

/**
 * The buckets of a window that ends at `now`: `count` buckets of `bucketMs`, the last one holding
 * `now` (still filling), the first one starting at `from`.
 */
export function windowBuckets(
  name: TimeWindowName,
  now: number,
): { from: number; bucketMs: number; count: number } {
  const { ms, bucketMs } = TIME_WINDOWS[name];
  const count = ms / bucketMs;
  const last = Math.floor((now - 1) / bucketMs) * bucketMs;
  return { from: last - (count - 1) * bucketMs, bucketMs, count };
}
