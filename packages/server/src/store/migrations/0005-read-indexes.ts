/**
 * Shipped migration: never edit it; add a new one instead.
 * Indexes for the read API's queries (docs/server.md, "Queries and indexes"):
 * - (function, status, created_at, id): the jobs list filtered by function and status keeps its
 *   keyset order without a sort; the oldest queued job of a function and a function's recent
 *   completed run times are one range probe each.
 * - (root_id, created_at, id): a job tree's timeline pages through its index range instead of
 *   sorting the whole tree for every page.
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex("jobs_function_status_created_at_id")
    .on("jobs")
    .columns(["function", "status", "created_at", "id"])
    .execute();
  await db.schema
    .createIndex("jobs_root_id_created_at_id")
    .on("jobs")
    .columns(["root_id", "created_at", "id"])
    .execute();
}
