/**
 * Shipped migration: never edit it; add a new one instead.
 * HTTP request tracking (docs/http-apis.md): per instance, route and minute, the counts by
 * status class and the latency histogram; and the sampled slow and failed requests.
 */
import { type Kysely, sql } from "kysely";
import { inList } from "./check-list.js";

const REASONS = ["slow", "failed"];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("api_route_minutes")
    .addColumn("api", "varchar(128)", (col) => col.notNull())
    .addColumn("method", "varchar(16)", (col) => col.notNull())
    .addColumn("route", "varchar(512)", (col) => col.notNull())
    .addColumn("minute", "bigint", (col) => col.notNull())
    .addColumn("instance_id", "varchar(200)", (col) => col.notNull())
    .addColumn("count", "bigint", (col) => col.notNull())
    .addColumn("s1xx", "bigint", (col) => col.notNull())
    .addColumn("s2xx", "bigint", (col) => col.notNull())
    .addColumn("s3xx", "bigint", (col) => col.notNull())
    .addColumn("s4xx", "bigint", (col) => col.notNull())
    .addColumn("s5xx", "bigint", (col) => col.notNull())
    .addColumn("duration_ms_total", "double precision", (col) => col.notNull())
    .addColumn("buckets", "text", (col) => col.notNull())
    .addPrimaryKeyConstraint("api_route_minutes_pk", ["api", "method", "route", "minute", "instance_id"])
    .execute();
  await db.schema
    .createIndex("api_route_minutes_api_minute")
    .on("api_route_minutes")
    .columns(["api", "minute"])
    .execute();
  await db.schema.createIndex("api_route_minutes_minute").on("api_route_minutes").column("minute").execute();
  await db.schema
    .createTable("api_requests")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("api", "varchar(128)", (col) => col.notNull())
    .addColumn("instance_id", "varchar(200)", (col) => col.notNull())
    .addColumn("method", "varchar(16)", (col) => col.notNull())
    .addColumn("route", "varchar(512)", (col) => col.notNull())
    .addColumn("status", "integer", (col) => col.notNull())
    .addColumn("duration_ms", "double precision", (col) => col.notNull())
    .addColumn("request_id", "varchar(200)")
    .addColumn("trace_id", "varchar(32)")
    .addColumn("reason", "varchar(8)", (col) => col.notNull())
    .addColumn("at", "bigint", (col) => col.notNull())
    .addCheckConstraint("api_requests_reason_check", sql`reason in (${inList(REASONS)})`)
    .execute();
  await db.schema.createIndex("api_requests_api_at").on("api_requests").columns(["api", "at"]).execute();
  await db.schema
    .createIndex("api_requests_api_route_at")
    .on("api_requests")
    .columns(["api", "route", "at"])
    .execute();
  await db.schema.createIndex("api_requests_at").on("api_requests").column("at").execute();
}
