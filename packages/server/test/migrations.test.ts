import { FAILURE_REASONS, JOB_EVENT_TYPES, JOB_STATUSES } from "@upnext/core";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import type { HistoryDatabase } from "../src/store/database.js";
import { MIGRATIONS } from "../src/store/migrations/index.js";
import { migrate, migrationStatus } from "../src/store/migrator.js";
import { JOB_KINDS, ROLLUP_OUTCOMES } from "../src/store/schema.js";
import { DIALECTS, type TestDatabase, createTestDatabase } from "./helpers/database.js";

const cleanups: TestDatabase[] = [];
afterEach(async () => {
  for (const test of cleanups.splice(0)) await test.destroy();
});

async function fresh(dialect: (typeof DIALECTS)[number], migrated: boolean): Promise<TestDatabase> {
  const test = await createTestDatabase(dialect, "migrations", { migrated });
  cleanups.push(test);
  return test;
}

/** Tables, columns (name, type, nullability, default), indexes and CHECK clauses, dialect-native. */
async function describeSchema(database: HistoryDatabase): Promise<unknown> {
  if (database.dialect === "sqlite") {
    const { rows } = await sql<{ type: string; name: string; sql: string | null }>`
      select type, name, sql from sqlite_master where name not like 'sqlite_%' order by type, name`.execute(
      database.db,
    );
    return rows;
  }
  const columns = await sql`
    select table_name, column_name, data_type, is_nullable, column_default
    from information_schema.columns where table_schema = current_schema()
    order by table_name, column_name`.execute(database.db);
  const indexes = await sql`
    select tablename, indexname, indexdef from pg_indexes where schemaname = current_schema()
    order by tablename, indexname`.execute(database.db);
  const constraints = await sql`
    select conrelid::regclass::text as table_name, conname, pg_get_constraintdef(oid) as definition
    from pg_constraint where connamespace = current_schema()::regnamespace
    order by 1, 2`.execute(database.db);
  return {
    columns: columns.rows,
    // Index and constraint definitions name the schema; compare them without it.
    indexes: JSON.parse(JSON.stringify(indexes.rows).replaceAll(/t_migrations_\d+_\d+\./g, "")) as unknown,
    constraints: constraints.rows,
  };
}

const NAMES = Object.keys(MIGRATIONS);

describe.each(DIALECTS)("migrations on %s", (dialect) => {
  it("applies every migration in order on an empty database, and a second run does nothing", async () => {
    const test = await fresh(dialect, false);
    expect(await migrate(test.database)).toEqual(NAMES);
    expect(await migrate(test.database)).toEqual([]);
    const status = await migrationStatus(test.database);
    expect(status.map((entry) => entry.name)).toEqual(NAMES);
    expect(status.every((entry) => entry.executedAt !== null)).toBe(true);
  });

  it("upgrades a database created at the first migration, with data in it, to the same schema as a fresh one", async () => {
    const upgraded = await fresh(dialect, false);
    const first = NAMES[0] ?? "";
    expect(await migrate(upgraded.database, first)).toEqual([first]);
    const pending = await migrationStatus(upgraded.database);
    expect(pending.filter((entry) => entry.executedAt === null).map((entry) => entry.name)).toEqual(
      NAMES.slice(1),
    );
    await sql`insert into jobs (id, function, status, attempt, root_id, created_at, updated_at, state_phase, state_at)
      values ('job-1', 'email', 'complete', 1, 'job-1', 1, 1, 9, 1)`.execute(upgraded.database.db);
    await migrate(upgraded.database);

    const clean = await fresh(dialect, true);
    expect(await describeSchema(upgraded.database)).toEqual(await describeSchema(clean.database));
    const { rows } = await sql<{ id: string }>`select id from jobs`.execute(upgraded.database.db);
    expect(rows).toEqual([{ id: "job-1" }]);
  });

  it("enforces the status, failure reason, kind and event type CHECK constraints and the parent foreign key", async () => {
    const { database } = await fresh(dialect, true);
    const insert = (status: string, failure: string | null, kind: string, parent: string | null) =>
      sql`insert into jobs (id, function, kind, status, failure_reason, parent_id, root_id, created_at, updated_at, state_phase, state_at)
        values (${`j-${status}-${String(failure)}-${kind}-${String(parent)}`}, 'f', ${kind}, ${status}, ${failure}, ${parent}, 'r', 1, 1, 1, 1)`.execute(
        database.db,
      );
    await expect(insert("foo", null, "task", null)).rejects.toThrow(/check/i);
    await expect(insert("failed", "bogus", "task", null)).rejects.toThrow(/check/i);
    await expect(insert("queued", null, "bogus", null)).rejects.toThrow(/check/i);
    await expect(insert("queued", null, "task", "no-such-parent")).rejects.toThrow(/foreign key/i);
    await insert("failed", "timeout", "cron", null);
    await expect(
      sql`insert into job_events (id, job_id, type, attempt, at, data) values ('1-0', 'j', 'exploded', 1, 1, '{}')`.execute(
        database.db,
      ),
    ).rejects.toThrow(/check/i);
  });
});

describe("the shipped CHECK lists", () => {
  // A shipped migration is frozen; when the code's constants change, a new migration must
  // change the constraint. These fail until it does.
  const source = (name: string) => String(MIGRATIONS[name]?.up.toString());
  it("match the constants the code uses", async () => {
    const { readFile } = await import("node:fs/promises");
    const first = await readFile(new URL("../src/store/migrations/0001-jobs.ts", import.meta.url), "utf8");
    const third = await readFile(new URL("../src/store/migrations/0003-rollups.ts", import.meta.url), "utf8");
    const sixth = await readFile(
      new URL("../src/store/migrations/0008-minute-rollups.ts", import.meta.url),
      "utf8",
    );
    const list = (text: string, name: string) =>
      JSON.parse(
        (new RegExp(`const ${name} = (\\[[^\\]]*\\])`).exec(text)?.[1] ?? "[]").replaceAll(
          /,(\s*)\]/g,
          "$1]",
        ),
      ) as string[];
    expect(list(first, "JOB_STATUSES")).toEqual([...JOB_STATUSES]);
    expect(list(first, "FAILURE_REASONS")).toEqual([...FAILURE_REASONS]);
    expect(list(first, "JOB_KINDS")).toEqual([...JOB_KINDS]);
    expect(list(first, "JOB_EVENT_TYPES")).toEqual([...JOB_EVENT_TYPES]);
    expect(list(third, "ROLLUP_OUTCOMES")).toEqual([...ROLLUP_OUTCOMES]);
    expect(list(sixth, "ROLLUP_OUTCOMES")).toEqual([...ROLLUP_OUTCOMES]);
    expect(source("0001-jobs")).toContain("jobs");
  });
});
