/**
 * Job statistics: the outcome counts kept per hour and function (the history's rollups), and the
 * ONE definition of the figures derived from them, used by every endpoint that shows them
 * (stats, trends, functions, dashboard) so no two views disagree.
 */
import { z } from "zod";
import { isoTimeSchema, timeWindowSchema } from "./page.js";

/**
 * What the rollups count, per hour and function: jobs submitted, attempts started, jobs that
 * completed, failed for good, were cancelled, and failed attempts that will be retried.
 */
export const OUTCOMES = ["submitted", "started", "complete", "failed", "cancelled", "retried"] as const;
export type Outcome = (typeof OUTCOMES)[number];

const count = z.number().int().nonnegative();
export const outcomeCountsSchema = z.object({
  submitted: count,
  started: count,
  complete: count,
  failed: count,
  cancelled: count,
  retried: count,
});
export type OutcomeCounts = z.infer<typeof outcomeCountsSchema>;

export function emptyOutcomeCounts(): OutcomeCounts {
  return { submitted: 0, started: 0, complete: 0, failed: 0, cancelled: 0, retried: 0 };
}

/**
 * Success rate = complete / (complete + failed), between 0 and 1; null when no job finished
 * either way. Cancelled jobs are neither successes nor failures, and an attempt that will be
 * retried is not a failure (only the job's last attempt decides).
 */
export function successRate(counts: Pick<OutcomeCounts, "complete" | "failed">): number | null {
  const finished = counts.complete + counts.failed;
  return finished === 0 ? null : counts.complete / finished;
}

/** Jobs that ran to an end either way: the success rate's denominator. */
export function runsOf(counts: Pick<OutcomeCounts, "complete" | "failed">): number {
  return counts.complete + counts.failed;
}

const rate = z
  .number()
  .min(0)
  .max(1)
  .nullable()
  .describe("complete / (complete + failed), 0-1; null when none finished. Cancelled jobs are not counted.");
const averageMs = z.number().nonnegative().nullable();

/** Figures over a window: counts, success rate, mean run time of completed jobs, mean queue wait of started attempts. */
export const outcomeFiguresSchema = z.object({
  counts: outcomeCountsSchema,
  runs: count.describe("complete + failed"),
  successRate: rate,
  avgDurationMs: averageMs.describe("Mean run time of the jobs that completed in the window."),
  avgQueueWaitMs: averageMs.describe(
    "Mean time from queued to started, over the attempts started in the window.",
  ),
});
export type OutcomeFigures = z.infer<typeof outcomeFiguresSchema>;

/**
 * The figures of a window from its rollup totals: `durationMsTotal` sums the run times of the
 * completed jobs, `queueWaitMsTotal` the queue waits of the started attempts.
 */
export function outcomeFigures(
  counts: OutcomeCounts,
  durationMsTotal: number,
  queueWaitMsTotal: number,
): OutcomeFigures {
  return {
    counts,
    runs: runsOf(counts),
    successRate: successRate(counts),
    avgDurationMs: counts.complete === 0 ? null : durationMsTotal / counts.complete,
    avgQueueWaitMs: counts.started === 0 ? null : queueWaitMsTotal / counts.started,
  };
}

export const jobStatsSchema = outcomeFiguresSchema.extend({
  window: timeWindowSchema,
  /** The functions the figures were narrowed to, or null for every function. */
  functions: z.array(z.string()).nullable(),
  /** Per function, when asked for with `by=function`: the same figures, busiest first. */
  byFunction: z.array(outcomeFiguresSchema.extend({ function: z.string() })).nullable(),
});
export type JobStats = z.infer<typeof jobStatsSchema>;

export const trendBucketSchema = z.object({
  /** Start of the bucket (a UTC minute or hour, see the trends' `bucketMs`). */
  start: isoTimeSchema,
  counts: outcomeCountsSchema,
  successRate: rate,
  avgDurationMs: averageMs.describe("Mean run time of the jobs that completed in the bucket."),
  avgQueueWaitMs: averageMs.describe(
    "Mean time from queued to started, over the attempts started in the bucket.",
  ),
});
export type TrendBucket = z.infer<typeof trendBucketSchema>;

export const jobTrendsSchema = z.object({
  window: timeWindowSchema,
  functions: z.array(z.string()).nullable(),
  /** Length of each bucket: 60000 (a minute) or 3600000 (an hour). */
  bucketMs: z.number().int().positive(),
  /** One per bucket, oldest first, ending with the current (partial) one; buckets without jobs are zero. */
  buckets: z.array(trendBucketSchema),
});
export type JobTrends = z.infer<typeof jobTrendsSchema>;
