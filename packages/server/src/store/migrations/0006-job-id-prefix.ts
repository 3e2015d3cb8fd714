/**
 * Shipped migration: never edit it; add a new one instead.
 * The jobs list's search by id prefix (store/job-search.ts) at any age: PostgreSQL serves
 * `id LIKE 'prefix%'` and its order from an index only under the C collation, so the search
 * compares `id collate "C"` and this indexes it, whatever the database's collation. SQLite
 * compares text bytewise: its primary key serves the search already, and nothing is added there.
 */
import { type Kysely, PostgresAdapter, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`create index jobs_id_bytewise on jobs ((id collate "C"))`.execute(db);
}
