/**
 * A write transaction on either dialect. SQLite takes its write lock up front (`BEGIN
 * IMMEDIATE`), so a transaction that reads before it writes cannot fail half-way on a lock
 * another process took meanwhile, and two processes on one file queue up (busy_timeout) instead.
 * PostgreSQL runs at READ COMMITTED; callers lock the rows they read (`FOR UPDATE`).
 */
import { type Kysely, sql } from "kysely";
import type { HistoryDatabase } from "./database.js";
import type { HistorySchema } from "./schema.js";

/** How often a transaction that lost a deadlock or serialization check is run again. */
export const TRANSIENT_RETRIES = 3;

// PostgreSQL: serialization_failure, deadlock_detected.
const TRANSIENT_SQLSTATES = new Set(["40001", "40P01"]);

export function isTransientConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && TRANSIENT_SQLSTATES.has(code);
}

export async function writeTransaction<T>(
  database: HistoryDatabase,
  work: (trx: Kysely<HistorySchema>) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(database, work);
    } catch (error) {
      if (!isTransientConflict(error) || attempt > TRANSIENT_RETRIES) throw error;
    }
  }
}

async function runOnce<T>(
  database: HistoryDatabase,
  work: (trx: Kysely<HistorySchema>) => Promise<T>,
): Promise<T> {
  if (database.dialect === "postgres") return database.db.transaction().execute(work);
  return database.db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const result = await work(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
  });
}
