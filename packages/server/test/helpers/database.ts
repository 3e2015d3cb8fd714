/**
 * Real databases for tests: a fresh SQLite file per call, or a fresh PostgreSQL schema in the
 * local `test` database, so test files run in parallel without sharing tables.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { type DialectName, type HistoryDatabase, openDatabase } from "../../src/store/database.js";
import { migrate } from "../../src/store/migrator.js";

export const DIALECTS: readonly DialectName[] = ["sqlite", "postgres"];

export const POSTGRES_URL = process.env.UPNEXT_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  readonly database: HistoryDatabase;
  /** The URL (and schema) another process or replica would open the same database with. */
  readonly url: string;
  readonly schema: string | undefined;
  open(): Promise<HistoryDatabase>;
  /** Closes every handle opened through this object and removes the database. */
  destroy(): Promise<void>;
}

let counter = 0;

/** A new, empty database of the dialect; migrated unless `migrated` is false. */
export async function createTestDatabase(
  dialect: DialectName,
  label: string,
  { migrated = true }: { migrated?: boolean } = {},
): Promise<TestDatabase> {
  counter += 1;
  const unique = `${label.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${process.pid}_${counter}`;
  const handles: HistoryDatabase[] = [];
  let url: string;
  let schema: string | undefined;
  let dir: string | undefined;
  if (dialect === "sqlite") {
    dir = mkdtempSync(join(tmpdir(), "upnext-history-"));
    url = `sqlite:${join(dir, "history.db")}`;
  } else {
    url = POSTGRES_URL;
    schema = `t_${unique}`.slice(0, 60);
  }
  const open = async (): Promise<HistoryDatabase> => {
    const handle = await openDatabase(url, { schema, poolSize: 4 });
    handles.push(handle);
    return handle;
  };
  const database = await open();
  if (schema !== undefined) {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
    await sql`create schema ${sql.id(schema)}`.execute(database.db);
  }
  if (migrated) await migrate(database);
  return {
    database,
    url,
    schema,
    open,
    destroy: async () => {
      if (schema !== undefined) {
        await sql`drop schema if exists ${sql.id(schema)} cascade`
          .execute(database.db)
          .catch(() => undefined);
      }
      for (const handle of handles) await handle.close().catch(() => undefined);
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
