/**
 * Shipped migration: never edit it; add a new one instead.
 * Per-minute per-function outcome counts, kept by ingest next to the hourly ones, for the short
 * dashboard windows (15 min, 1 h, 6 h). Retention keeps only the last day of them
 * (MINUTE_ROLLUP_RETENTION_MS); the hourly rollups keep the long history.
 */
import { type Kysely, sql } from "kysely";
import { inList } from "./check-list.js";

// A frozen copy of 0003's outcomes (test/migrations.test.ts compares it with the constants).
const ROLLUP_OUTCOMES = ["submitted", "started", "complete", "failed", "cancelled", "retried"];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("job_rollups_minute")
    .addColumn("bucket", "bigint", (col) => col.notNull())
    .addColumn("function", "varchar(255)", (col) => col.notNull())
    .addColumn("outcome", "varchar(16)", (col) => col.notNull())
    .addColumn("count", "bigint", (col) => col.notNull().defaultTo(0))
    .addColumn("duration_ms_total", "double precision", (col) => col.notNull().defaultTo(0))
    .addColumn("queue_wait_ms_total", "double precision", (col) => col.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("job_rollups_minute_pk", ["bucket", "function", "outcome"])
    .addCheckConstraint("job_rollups_minute_outcome_check", sql`outcome in (${inList(ROLLUP_OUTCOMES)})`)
    .execute();
  await db.schema
    .createIndex("job_rollups_minute_function_bucket")
    .on("job_rollups_minute")
    .columns(["function", "bucket"])
    .execute();
}
