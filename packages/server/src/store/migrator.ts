/**
 * Runs the append-only migration set (migrations/index.ts) and reports where a database stands.
 */
import { type MigrationResult, Migrator } from "kysely";
import type { HistoryDatabase } from "./database.js";
import { MIGRATIONS } from "./migrations/index.js";

export interface MigrationStatus {
  readonly name: string;
  readonly executedAt: Date | null;
}

export class MigrationError extends Error {
  readonly code = "migration_failed";
  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(
      `Migration ${migration} failed: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        "The database was left at the last migration that succeeded; fix the cause and run `upnext server db migrate` again.",
      { cause },
    );
  }
}

function migrator(database: HistoryDatabase): Migrator {
  return new Migrator({
    db: database.db,
    provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) },
    migrationTableName: "upnext_migrations",
    migrationLockTableName: "upnext_migrations_lock",
    // Kysely looks the tables up across every schema; name ours so another schema's tables
    // (a second deployment in the same database) are not mistaken for them.
    ...(database.schema === undefined ? {} : { migrationTableSchema: database.schema }),
  });
}

/** Applies every pending migration (or those up to `target`); returns the names applied. */
export async function migrate(database: HistoryDatabase, target?: string): Promise<string[]> {
  const runner = migrator(database);
  const { error, results } =
    target === undefined ? await runner.migrateToLatest() : await runner.migrateTo(target);
  const failed = results?.find((result: MigrationResult) => result.status === "Error");
  if (error !== undefined) throw new MigrationError(failed?.migrationName ?? "(setup)", error);
  return (results ?? [])
    .filter((result) => result.status === "Success")
    .map((result) => result.migrationName);
}

export async function migrationStatus(database: HistoryDatabase): Promise<MigrationStatus[]> {
  const migrations = await migrator(database).getMigrations();
  return migrations.map((migration) => ({ name: migration.name, executedAt: migration.executedAt ?? null }));
}
