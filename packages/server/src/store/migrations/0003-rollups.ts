/**
 * Shipped migration: never edit it; add a new one instead.
 * Hourly per-function outcome counts, kept by ingest, so stats and trends never scan jobs.
 */
import { type Kysely, sql } from "kysely";
import { inList } from "./check-list.js";

const ROLLUP_OUTCOMES = ["submitted", "started", "complete", "failed", "cancelled", "retried"];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("job_rollups")
    .addColumn("bucket", "bigint", (col) => col.notNull())
    .addColumn("function", "varchar(255)", (col) => col.notNull())
    .addColumn("outcome", "varchar(16)", (col) => col.notNull())
    .addColumn("count", "bigint", (col) => col.notNull().defaultTo(0))
    .addColumn("duration_ms_total", "double precision", (col) => col.notNull().defaultTo(0))
    .addColumn("queue_wait_ms_total", "double precision", (col) => col.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("job_rollups_pk", ["bucket", "function", "outcome"])
    .addCheckConstraint("job_rollups_outcome_check", sql`outcome in (${inList(ROLLUP_OUTCOMES)})`)
    .execute();
  await db.schema
    .createIndex("job_rollups_function_bucket")
    .on("job_rollups")
    .columns(["function", "bucket"])
    .execute();
}
