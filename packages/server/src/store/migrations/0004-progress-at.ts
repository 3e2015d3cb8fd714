/**
 * Shipped migration: never edit it; add a new one instead.
 * When the stored progress was reported, so an older progress update that is ingested later
 * (by another replica, or after a re-delivery) never replaces a newer one.
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("jobs").addColumn("progress_at", "bigint").execute();
}
