/**
 * Stats and trends from the rollups, never from a scan of jobs: hourly (job_rollups) for long
 * windows, per minute (job_rollups_minute, the last day only) for short ones. A window of B
 * buckets over F functions reads at most B x F x 6 small rows through the (bucket, ...) primary
 * key or the (function, bucket) index. The figures derived from the totals are defined once, in
 * @upnext/core's api-contract/stats.ts.
 */
import { OUTCOMES, type Outcome, type OutcomeCounts, emptyOutcomeCounts } from "@upnext/core";
import { type Kysely, sql } from "kysely";
import { HOUR_MS, MINUTE_MS } from "@upnext/core";
import { type HistorySchema, ROLLUP_TABLES, type RollupTable } from "./schema.js";

export { HOUR_MS, MINUTE_MS };

export function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

export function minuteStart(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/** The rollup table that holds buckets of this size (a minute or an hour). */
export function rollupTableOf(bucketMs: number): RollupTable {
  if (bucketMs === MINUTE_MS) return ROLLUP_TABLES.minute;
  if (bucketMs === HOUR_MS) return ROLLUP_TABLES.hour;
  throw new Error(`no rollups are kept per ${bucketMs} ms`);
}

export interface RollupWindow {
  /** Buckets that start at or after `from` (callers floor it to the bucket)... */
  readonly from: number;
  /** ...and before `to`. */
  readonly to: number;
  /** Only these functions; every function when undefined. */
  readonly functions?: readonly string[] | undefined;
  /** Hour buckets (default) or minute buckets (kept for the last day only). */
  readonly table?: RollupTable | undefined;
}

export interface RollupTotals {
  readonly counts: OutcomeCounts;
  /** Summed run time of the completed jobs. */
  readonly durationMsTotal: number;
  /** Summed queue wait of the started attempts. */
  readonly queueWaitMsTotal: number;
}

interface OutcomeRow {
  outcome: string;
  count: number;
  duration_ms_total: number | null;
  queue_wait_ms_total: number | null;
}

function isOutcome(value: string): value is Outcome {
  return (OUTCOMES as readonly string[]).includes(value);
}

class TotalsBuilder {
  readonly counts = emptyOutcomeCounts();
  durationMsTotal = 0;
  queueWaitMsTotal = 0;

  add(row: OutcomeRow): void {
    if (!isOutcome(row.outcome)) return;
    this.counts[row.outcome] += row.count;
    if (row.outcome === "complete") this.durationMsTotal += row.duration_ms_total ?? 0;
    if (row.outcome === "started") this.queueWaitMsTotal += row.queue_wait_ms_total ?? 0;
  }

  build(): RollupTotals {
    return {
      counts: this.counts,
      durationMsTotal: this.durationMsTotal,
      queueWaitMsTotal: this.queueWaitMsTotal,
    };
  }
}

function windowed(db: Kysely<HistorySchema>, window: RollupWindow) {
  let query = db
    .selectFrom(window.table ?? ROLLUP_TABLES.hour)
    .where("bucket", ">=", window.from)
    .where("bucket", "<", window.to);
  const { functions } = window;
  if (functions?.length === 1) query = query.where("function", "=", functions[0] ?? "");
  else if (functions && functions.length > 1) query = query.where("function", "in", functions);
  return query;
}

const sums = [
  sql<number>`sum(count)`.as("count"),
  sql<number>`sum(duration_ms_total)`.as("duration_ms_total"),
  sql<number>`sum(queue_wait_ms_total)`.as("queue_wait_ms_total"),
] as const;

/** Totals over the window, every selected function together. */
export async function rollupTotals(db: Kysely<HistorySchema>, window: RollupWindow): Promise<RollupTotals> {
  const rows = await windowed(db, window)
    .select(["outcome", ...sums])
    .groupBy("outcome")
    .execute();
  const totals = new TotalsBuilder();
  for (const row of rows) totals.add(row);
  return totals.build();
}

/** Totals over the window per function (functions without rollups in it are absent). */
export async function rollupTotalsByFunction(
  db: Kysely<HistorySchema>,
  window: RollupWindow,
): Promise<Map<string, RollupTotals>> {
  const rows = await windowed(db, window)
    .select(["function", "outcome", ...sums])
    .groupBy(["function", "outcome"])
    .execute();
  const builders = new Map<string, TotalsBuilder>();
  for (const row of rows) {
    let builder = builders.get(row.function);
    if (!builder) {
      builder = new TotalsBuilder();
      builders.set(row.function, builder);
    }
    builder.add(row);
  }
  return new Map([...builders].map(([fn, builder]) => [fn, builder.build()]));
}

/** Totals per bucket (buckets without rollups are absent; callers zero-fill). */
export async function rollupBuckets(
  db: Kysely<HistorySchema>,
  window: RollupWindow,
): Promise<Map<number, RollupTotals>> {
  const rows = await windowed(db, window)
    .select(["bucket", "outcome", ...sums])
    .groupBy(["bucket", "outcome"])
    .execute();
  const builders = new Map<number, TotalsBuilder>();
  for (const row of rows) {
    let builder = builders.get(row.bucket);
    if (!builder) {
      builder = new TotalsBuilder();
      builders.set(row.bucket, builder);
    }
    builder.add(row);
  }
  return new Map([...builders].map(([bucket, builder]) => [bucket, builder.build()]));
}

/** The start of the first bucket in the window that holds any rollup, or null when none does. */
export async function firstBucketWithData(
  db: Kysely<HistorySchema>,
  window: RollupWindow,
): Promise<number | null> {
  const row = await windowed(db, window)
    .select(sql<number | string | null>`min(bucket)`.as("first"))
    .executeTakeFirst();
  return row?.first === null || row?.first === undefined ? null : Number(row.first);
}
