/**
 * Opens the history database named by UPNEXT_DATABASE_URL: an embedded SQLite file or
 * PostgreSQL. The caller owns the returned handle and closes it; nothing here is global.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import type { HistorySchema } from "./schema.js";

export type DialectName = "sqlite" | "postgres";

export interface HistoryDatabase {
  readonly db: Kysely<HistorySchema>;
  readonly dialect: DialectName;
  /** A printable location with any password removed. */
  readonly location: string;
  /** The PostgreSQL schema the tables live in, when not the default one. */
  readonly schema?: string;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL schema to use (created if missing); tests give each file its own. */
  readonly schema?: string;
  /** Most pooled PostgreSQL connections. */
  readonly poolSize?: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
const DEFAULT_POOL_SIZE = 10;

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** The file an `sqlite:<file>` (or bare path) URL names; `:memory:` stays as is. */
export function sqliteFile(url: string): string {
  const file = url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url;
  return file === ":memory:" ? file : resolve(file);
}

export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<HistoryDatabase> {
  return isPostgresUrl(url) ? openPostgres(url, options) : openSqlite(sqliteFile(url));
}

function openSqlite(file: string): HistoryDatabase {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const connection = new SQLite(file);
  // WAL lets readers (the API) run beside the writer (ingest); foreign keys are off by default.
  connection.pragma("journal_mode = WAL");
  connection.pragma("synchronous = NORMAL");
  connection.pragma("foreign_keys = ON");
  connection.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  const db = new Kysely<HistorySchema>({ dialect: new SqliteDialect({ database: connection }) });
  return {
    db,
    dialect: "sqlite",
    location: `sqlite:${file}`,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<HistoryDatabase> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`PostgreSQL schema name ${JSON.stringify(schema)} is invalid: use [a-z_][a-z0-9_]*`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    // BIGINT epoch milliseconds and COUNT(*) fit a double exactly; read them as numbers.
    types: { getTypeParser: numbersAsNumbers },
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle client's error (the server restarted) must not crash the process; the next query
  // fails and the circuit breaker reports it.
  pool.on("error", () => undefined);
  const db = new Kysely<HistorySchema>({ dialect: new PostgresDialect({ pool }) });
  if (schema !== undefined) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  return {
    db,
    dialect: "postgres",
    ...(schema === undefined ? {} : { schema }),
    location: redact(url) + (schema === undefined ? "" : ` (schema ${schema})`),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

const numbersAsNumbers = ((oid: number, format: "text" | "binary" = "text"): unknown =>
  oid === INT8_OID || oid === NUMERIC_OID
    ? Number
    : (pg.types.getTypeParser as (oid: number, format: string) => unknown)(
        oid,
        format,
      )) as typeof pg.types.getTypeParser;

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://(unparseable url)";
  }
}
