/**
 * Shipped migration: never edit it; add a new one instead.
 * Artifacts of jobs in the history, and uploads whose job has not been ingested yet.
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("artifacts")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("job_id", "varchar(64)", (col) => col.notNull().references("jobs.id").onDelete("cascade"))
    .addColumn("name", "varchar(255)", (col) => col.notNull())
    .addColumn("content_type", "varchar(255)", (col) => col.notNull())
    .addColumn("size_bytes", "bigint", (col) => col.notNull())
    .addColumn("sha256", "varchar(64)", (col) => col.notNull())
    .addColumn("storage_key", "varchar(512)", (col) => col.notNull())
    .addColumn("created_at", "bigint", (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex("artifacts_job_id_created_at")
    .on("artifacts")
    .columns(["job_id", "created_at"])
    .execute();

  await db.schema
    .createTable("pending_artifacts")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    // No foreign key on purpose: the upload arrived before its job's first event.
    .addColumn("job_id", "varchar(64)", (col) => col.notNull())
    .addColumn("name", "varchar(255)", (col) => col.notNull())
    .addColumn("content_type", "varchar(255)", (col) => col.notNull())
    .addColumn("size_bytes", "bigint", (col) => col.notNull())
    .addColumn("sha256", "varchar(64)", (col) => col.notNull())
    .addColumn("storage_key", "varchar(512)", (col) => col.notNull())
    .addColumn("created_at", "bigint", (col) => col.notNull())
    .execute();
  await db.schema.createIndex("pending_artifacts_job_id").on("pending_artifacts").column("job_id").execute();
  await db.schema
    .createIndex("pending_artifacts_created_at")
    .on("pending_artifacts")
    .column("created_at")
    .execute();
}
