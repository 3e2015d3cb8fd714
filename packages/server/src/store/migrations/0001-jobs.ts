/**
 * Shipped migration: never edit it; add a new one instead (docs/decisions/0012).
 * Jobs, their tags and their events.
 */
import { type Kysely, sql } from "kysely";
import { inList } from "./check-list.js";

// Frozen copies of the allowed values as shipped: a later change to the code's constants needs
// a new migration (test/migrations.test.ts compares these CHECK lists with the constants).
const JOB_STATUSES = [
  "waiting",
  "scheduled",
  "queued",
  "active",
  "retrying",
  "complete",
  "failed",
  "cancelled",
];
const FAILURE_REASONS = [
  "exception",
  "timeout",
  "cancelled",
  "lost",
  "invalid_input",
  "unknown_function",
  "dependency_failed",
];
const JOB_KINDS = ["task", "cron", "event", "replay"];
const JOB_EVENT_TYPES = [
  "queued",
  "scheduled",
  "waiting",
  "started",
  "progress",
  "checkpoint",
  "log",
  "metric",
  "retrying",
  "completed",
  "failed",
  "cancelled",
  "dead-lettered",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("jobs")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("function", "varchar(255)", (col) => col.notNull())
    .addColumn("kind", "varchar(16)", (col) => col.notNull().defaultTo("task"))
    .addColumn("status", "varchar(16)", (col) => col.notNull())
    .addColumn("failure_reason", "varchar(32)")
    .addColumn("attempt", "integer", (col) => col.notNull().defaultTo(0))
    .addColumn("max_attempts", "integer")
    .addColumn("deliveries", "integer", (col) => col.notNull().defaultTo(0))
    .addColumn("priority", "integer", (col) => col.notNull().defaultTo(0))
    .addColumn("parent_id", "varchar(64)", (col) => col.references("jobs.id").onDelete("set null"))
    .addColumn("reported_parent_id", "varchar(64)")
    .addColumn("root_id", "varchar(64)", (col) => col.notNull())
    .addColumn("depends_on", "text")
    .addColumn("idempotency_key", "varchar(512)")
    .addColumn("schedule", "varchar(255)")
    .addColumn("event_name", "varchar(255)")
    .addColumn("origin", "text")
    .addColumn("input", "text")
    .addColumn("result", "text")
    .addColumn("error", "text")
    .addColumn("error_message", "text")
    .addColumn("tags", "text")
    .addColumn("metadata", "text")
    .addColumn("progress", "double precision", (col) => col.notNull().defaultTo(0))
    .addColumn("progress_message", "text")
    .addColumn("checkpoint", "text")
    .addColumn("checkpoint_at", "bigint")
    .addColumn("worker_id", "varchar(255)")
    .addColumn("created_at", "bigint", (col) => col.notNull())
    .addColumn("scheduled_at", "bigint")
    .addColumn("started_at", "bigint")
    .addColumn("finished_at", "bigint")
    .addColumn("queue_wait_ms", "double precision")
    .addColumn("duration_ms", "double precision")
    .addColumn("updated_at", "bigint", (col) => col.notNull())
    .addColumn("state_phase", "integer", (col) => col.notNull())
    .addColumn("state_at", "bigint", (col) => col.notNull())
    .addCheckConstraint("jobs_status_check", sql`status in (${inList(JOB_STATUSES)})`)
    .addCheckConstraint(
      "jobs_failure_reason_check",
      sql`failure_reason is null or failure_reason in (${inList(FAILURE_REASONS)})`,
    )
    .addCheckConstraint("jobs_kind_check", sql`kind in (${inList(JOB_KINDS)})`)
    .addCheckConstraint("jobs_progress_check", sql`progress >= 0 and progress <= 1`)
    .execute();

  // The default list (newest first) and its keyset cursor.
  await db.schema.createIndex("jobs_created_at_id").on("jobs").columns(["created_at", "id"]).execute();
  // Required by the dashboard: per-function status counts, tree traversal, trends by time.
  await db.schema.createIndex("jobs_function_status").on("jobs").columns(["function", "status"]).execute();
  await db.schema.createIndex("jobs_root_id").on("jobs").column("root_id").execute();
  await db.schema
    .createIndex("jobs_created_at_status")
    .on("jobs")
    .columns(["created_at", "status"])
    .execute();
  // Filtered lists keep their keyset order without a sort.
  await db.schema
    .createIndex("jobs_function_created_at_id")
    .on("jobs")
    .columns(["function", "created_at", "id"])
    .execute();
  await db.schema
    .createIndex("jobs_status_created_at_id")
    .on("jobs")
    .columns(["status", "created_at", "id"])
    .execute();
  await db.schema.createIndex("jobs_parent_id").on("jobs").column("parent_id").execute();
  await db.schema.createIndex("jobs_reported_parent_id").on("jobs").column("reported_parent_id").execute();
  // Stuck-job and oldest-queued panels.
  await db.schema
    .createIndex("jobs_status_started_at")
    .on("jobs")
    .columns(["status", "started_at"])
    .execute();

  await db.schema
    .createTable("job_tags")
    .addColumn("job_id", "varchar(64)", (col) => col.notNull().references("jobs.id").onDelete("cascade"))
    .addColumn("key", "varchar(255)", (col) => col.notNull())
    .addColumn("value", "varchar(1024)", (col) => col.notNull())
    .addPrimaryKeyConstraint("job_tags_pk", ["job_id", "key"])
    .execute();
  await db.schema
    .createIndex("job_tags_key_value")
    .on("job_tags")
    .columns(["key", "value", "job_id"])
    .execute();

  await db.schema
    .createTable("job_events")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    // No foreign key: a job's events may be ingested before the event that creates its row.
    .addColumn("job_id", "varchar(64)", (col) => col.notNull())
    .addColumn("type", "varchar(32)", (col) => col.notNull())
    .addColumn("attempt", "integer", (col) => col.notNull())
    .addColumn("at", "bigint", (col) => col.notNull())
    .addColumn("data", "text", (col) => col.notNull())
    .addCheckConstraint("job_events_type_check", sql`type in (${inList(JOB_EVENT_TYPES)})`)
    .execute();
  await db.schema
    .createIndex("job_events_job_id_at")
    .on("job_events")
    .columns(["job_id", "at", "id"])
    .execute();
}
