/**
 * The read API's queries ride indexes: each query module function runs against ~20k seeded jobs
 * (statistics gathered), the SQL it issued is EXPLAINed, and no plan may scan the whole jobs
 * table or sort a keyset list (a sort would make the 10,000th page cost more than the first).
 * UPNEXT_PRINT_PLANS=1 prints the plans (docs/server.md, "Queries and indexes").
 */
import SQLite from "better-sqlite3";
import { type CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeCursor } from "../src/http/pagination.js";
import { type Cursor, encodeCursor } from "../src/store/keyset.js";
import { listJobEvents } from "../src/store/job-event-queries.js";
import {
  activeStartedBefore,
  countChildren,
  findJob,
  listJobs,
  listTree,
  oldestQueued,
  oldestQueuedPerFunction,
  recentDurations,
} from "../src/store/job-queries.js";
import type { HistorySchema } from "../src/store/schema.js";
import { searchJobs } from "../src/store/job-search.js";
import { rollupBuckets, rollupTotals, rollupTotalsByFunction } from "../src/store/stats-queries.js";
import { DIALECTS, type TestDatabase, createTestDatabase } from "./helpers/database.js";
import {
  HOUR_MS,
  type SeedEvent,
  type SeedJob,
  insertEvents,
  insertJobs,
  insertRollups,
} from "./helpers/seed-history.js";

const JOBS = 20_000;
const FUNCTIONS = Array.from({ length: 10 }, (_, index) => `fn.${index}`);
const TREE_SIZE = 20;
/** One tree this big, where the timeline's order must come from its index, not a sort. */
const BIG_TREE = { first: 10_000, size: 2_000 };
const START = Date.UTC(2026, 0, 1);
const STEP_MS = 60_000;
const PRINT = process.env.UPNEXT_PRINT_PLANS === "1";
const SCAN_ROWS = 1_000;

function statusOf(index: number): SeedJob["status"] {
  const slot = index % 100;
  if (slot < 80) return "complete";
  if (slot < 88) return "failed";
  if (slot < 92) return "cancelled";
  if (slot < 96) return "queued";
  if (slot < 98) return "active";
  return "scheduled";
}

async function seed(db: Kysely<HistorySchema>): Promise<{ rootId: string; jobId: string }> {
  const seeds: SeedJob[] = [];
  let rootId = "";
  for (let index = 0; index < JOBS; index++) {
    const id = `job${String(index).padStart(8, "0")}`;
    const inBigTree = index >= BIG_TREE.first && index < BIG_TREE.first + BIG_TREE.size;
    const inTree = inBigTree ? index !== BIG_TREE.first : index % TREE_SIZE !== 0;
    if (!inTree) rootId = id;
    seeds.push({
      id,
      function: FUNCTIONS[index % FUNCTIONS.length] ?? "fn.0",
      status: statusOf(index),
      created_at: START + index * STEP_MS,
      root_id: rootId,
      ...(inTree ? { parent_id: rootId, reported_parent_id: rootId } : {}),
      // A tag on most jobs (walked), one on a few hundred and one on ten (looked up first).
      tagMap: {
        ...(index % 5 === 0 ? { tenant: `t${index % 50}` } : { env: "prod" }),
        ...(index % 2_000 === 0 ? { order: "o-1" } : {}),
      },
    });
  }
  await insertJobs(db, seeds);
  const jobId = seeds[JOBS / 2]?.id ?? "";
  // 200 events for the job under test, and 20 for each of 2,000 others.
  const events: SeedEvent[] = [];
  const eventOf = (job: string, index: number): SeedEvent => ({
    id: `${START + index}-${job}`,
    job_id: job,
    type: index % 2 === 0 ? "log" : "progress",
    attempt: 1,
    at: START + index,
    data: { level: "info", message: `line ${index}` },
  });
  for (let index = 0; index < 200; index++) events.push(eventOf(jobId, index));
  for (let job = 0; job < 2_000; job++) {
    for (let index = 0; index < 20; index++) events.push(eventOf(seeds[job]?.id ?? "", index));
  }
  await insertEvents(db, events);
  const hours = (JOBS * STEP_MS) / HOUR_MS;
  await insertRollups(
    db,
    Array.from({ length: hours }, (_, hour) =>
      FUNCTIONS.flatMap((fn) =>
        (["submitted", "started", "complete", "failed"] as const).map((outcome) => ({
          bucket: START + hour * HOUR_MS,
          function: fn,
          outcome,
          count: 6,
        })),
      ),
    ).flat(),
  );
  return { rootId: seeds[BIG_TREE.first]?.id ?? "", jobId };
}

interface Explainer {
  readonly db: Kysely<HistorySchema>;
  /** The plans of every query `run` issued. */
  plans(run: (db: Kysely<HistorySchema>) => Promise<unknown>): Promise<string[]>;
  close(): Promise<void>;
}

/** A second connection to the test database that records the SQL its queries send, to EXPLAIN it. */
function explainer(test: TestDatabase): Explainer {
  const captured: CompiledQuery[] = [];
  const log = (event: { level: string; query: CompiledQuery }): void => {
    if (event.level === "query") captured.push(event.query);
  };
  if (test.database.dialect === "sqlite") {
    const connection = new SQLite(test.url.slice("sqlite:".length));
    const db = new Kysely<HistorySchema>({ dialect: new SqliteDialect({ database: connection }), log });
    return {
      db,
      plans: async (run) => {
        captured.length = 0;
        await run(db);
        return captured.map((query) =>
          (
            connection.prepare(`explain query plan ${query.sql}`).all(...(query.parameters as unknown[])) as {
              detail: string;
            }[]
          )
            .map((row) => row.detail)
            .join("\n"),
        );
      },
      close: () => db.destroy(),
    };
  }
  const pool = new pg.Pool({
    connectionString: test.url,
    max: 2,
    options: `-c search_path=${test.schema ?? ""}`,
  });
  const db = new Kysely<HistorySchema>({ dialect: new PostgresDialect({ pool }), log });
  return {
    db,
    plans: async (run) => {
      captured.length = 0;
      await run(db);
      const plans: string[] = [];
      for (const query of captured) {
        const result = await pool.query<{ "QUERY PLAN": string }>(
          `explain ${query.sql}`,
          query.parameters as unknown[],
        );
        plans.push(result.rows.map((row) => row["QUERY PLAN"]).join("\n"));
      }
      return plans;
    },
    close: () => db.destroy(),
  };
}

function cursorAt(createdAt: number, id: string, direction: Cursor["direction"] = "after"): Cursor {
  return decodeCursor(encodeCursor({ key: [createdAt, id], direction }), 2);
}

describe.each(DIALECTS)("query plans on %s", (dialect) => {
  let test: TestDatabase;
  let explain: Explainer;
  let rootId: string;
  let jobId: string;
  const middle = { createdAt: START + (JOBS / 2) * STEP_MS, id: `job${String(JOBS / 2).padStart(8, "0")}` };

  beforeAll(async () => {
    test = await createTestDatabase(dialect, "query-plans");
    ({ rootId, jobId } = await seed(test.database.db));
    await sql`analyze`.execute(test.database.db);
    explain = explainer(test);
  }, 120_000);
  afterAll(async () => {
    await explain.close();
    await test.destroy();
  });

  /**
   * Asserts the plans never read the whole jobs table, and (for keyset lists) never sort every
   * matching row first. An incremental sort on a presorted prefix is allowed: it works one
   * group of equal keys at a time, so a deep page costs what the first does.
   */
  function expectIndexed(name: string, plans: string[], { sorted = false } = {}): void {
    expect(plans.length, name).toBeGreaterThan(0);
    for (const plan of plans) {
      if (PRINT) console.log(`-- ${dialect}: ${name}\n${plan}\n`);
      if (dialect === "postgres") {
        expect(plan, name).not.toMatch(/Seq Scan on jobs/);
        if (!sorted) expect(plan, name).not.toMatch(/(^|->)\s*Sort\s+\(/m);
      } else {
        expect(plan, name).not.toMatch(/SCAN jobs(?! USING)/);
        if (!sorted) expect(plan, name).not.toMatch(/TEMP B-TREE/);
      }
    }
  }

  const page = (cursor?: Cursor) => ({ limit: 50, cursor });

  it("lists jobs newest first through an index, on the first page and past a cursor", async () => {
    expectIndexed("default list", await explain.plans((db) => listJobs(db, {}, page())));
    expectIndexed(
      "default list with cursor",
      await explain.plans((db) => listJobs(db, {}, page(cursorAt(middle.createdAt, middle.id)))),
    );
    expectIndexed(
      "default list, previous page",
      await explain.plans((db) => listJobs(db, {}, page(cursorAt(middle.createdAt, middle.id, "before")))),
    );
  });

  it("lists by function, by status, by both, and by time range through their indexes", async () => {
    const cursor = cursorAt(middle.createdAt, middle.id);
    expectIndexed(
      "by function",
      await explain.plans((db) => listJobs(db, { functions: ["fn.3"] }, page(cursor))),
    );
    expectIndexed(
      "by status",
      await explain.plans((db) => listJobs(db, { statuses: ["failed"] }, page(cursor))),
    );
    expectIndexed(
      "by function and status",
      await explain.plans((db) => listJobs(db, { functions: ["fn.3"], statuses: ["failed"] }, page(cursor))),
    );
    expectIndexed(
      "by time range",
      await explain.plans((db) =>
        listJobs(db, { from: START + 1_000 * STEP_MS, to: START + 2_000 * STEP_MS }, page(cursor)),
      ),
    );
    expectIndexed("by root", await explain.plans((db) => listJobs(db, { rootId }, page())), { sorted: true });
    expectIndexed("by parent", await explain.plans((db) => listJobs(db, { parentId: rootId }, page())), {
      sorted: true,
    });
    // Tags few jobs carry are looked up first: job_tags, then jobs by primary key.
    for (const tag of [
      { key: "order", value: "o-1" },
      { key: "tenant", value: "t10" },
    ]) {
      expectIndexed(
        `by tag ${tag.key}:${tag.value}`,
        await explain.plans((db) => listJobs(db, { tags: [tag] }, page())),
        {
          sorted: true,
        },
      );
    }
    // A tag most jobs carry is checked while walking the list's index.
    expectIndexed(
      "by tag env:prod",
      await explain.plans((db) => listJobs(db, { tags: [{ key: "env", value: "prod" }] }, page())),
    );
  });

  it("searches a bounded number of the newest candidates through the list's index", async () => {
    // The outer query may sort its (bounded) candidates: allowed. The bound is scaled to the
    // seeded table (in production it is SEARCH_SCAN_ROWS), so it stays a fraction of the rows.
    expectIndexed(
      "search",
      await explain.plans((db) => searchJobs(db, { q: "timeout" }, page(), SCAN_ROWS)),
      {
        sorted: true,
      },
    );
    expectIndexed(
      "search among failed jobs",
      await explain.plans((db) => searchJobs(db, { q: "timeout", statuses: ["failed"] }, page(), SCAN_ROWS)),
      { sorted: true },
    );
  });

  it("searches by an exact id or an id prefix through an index of the id, at any age", async () => {
    const oldest = "job00000003";
    expectIndexed("search by exact id", await explain.plans((db) => searchJobs(db, { q: oldest }, page())));
    expectIndexed(
      "search by id prefix",
      await explain.plans((db) => searchJobs(db, { q: "job00001" }, page(cursorAt(START, "job00001500")))),
    );
  });

  it("reads one job, its children count, its tree and its events through indexes", async () => {
    expectIndexed("detail", await explain.plans((db) => findJob(db, jobId)));
    expectIndexed("children count", await explain.plans((db) => countChildren(db, rootId)), { sorted: true });
    expectIndexed("timeline", await explain.plans((db) => listTree(db, rootId, page())));
    expectIndexed(
      "timeline with cursor",
      await explain.plans((db) => listTree(db, rootId, page(cursorAt(0, "job")))),
    );
    expectIndexed("events", await explain.plans((db) => listJobEvents(db, jobId, undefined, page())));
    expectIndexed("logs", await explain.plans((db) => listJobEvents(db, jobId, ["log"], page())));
  });

  it("finds the oldest queued, the stuck and the recent run times through indexes", async () => {
    expectIndexed("oldest queued", await explain.plans((db) => oldestQueued(db, 5)));
    expectIndexed(
      "oldest queued per function",
      await explain.plans((db) => oldestQueuedPerFunction(db, FUNCTIONS.slice(0, 3))),
    );
    expectIndexed(
      "active past the shortest timeout",
      await explain.plans((db) => activeStartedBefore(db, START + JOBS * STEP_MS, 1_000)),
      // Active jobs are few (bounded by the workers' concurrency): sorting them is cheap.
      { sorted: true },
    );
    expectIndexed(
      "recent run times (p95 sample)",
      await explain.plans((db) => recentDurations(db, "fn.3", START, 500)),
    );
  });

  it("computes stats and trends from the rollups alone", async () => {
    const window = { from: START, to: START + 24 * HOUR_MS };
    const plans = [
      ...(await explain.plans((db) => rollupTotals(db, window))),
      ...(await explain.plans((db) =>
        rollupTotalsByFunction(db, { ...window, functions: ["fn.1", "fn.2"] }),
      )),
      ...(await explain.plans((db) => rollupBuckets(db, { ...window, functions: ["fn.1"] }))),
    ];
    expectIndexed("stats and trends", plans, { sorted: true });
    for (const plan of plans) expect(plan).not.toMatch(/\bjobs\b/);
  });
});
