/**
 * The history benchmark's measuring side: latency percentiles of one endpoint through
 * app.inject, the keys that start the deep pages (found once with OFFSET, which the API never
 * uses), and EXPLAIN ANALYZE of the main queries at full size.
 */
import type { FastifyInstance } from "fastify";
import { type CompiledQuery, Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Cursor } from "../packages/server/src/store/keyset.js";
import { listJobs, listTree } from "../packages/server/src/store/job-queries.js";
import type { HistorySchema } from "../packages/server/src/store/schema.js";
import {
  HOUR_MS,
  rollupBuckets,
  rollupTotalsByFunction,
} from "../packages/server/src/store/stats-queries.js";

export const PAGE_SIZE = 50;
export const REQUESTS = 100;
const WARM_UP_REQUESTS = 10;

export interface Measurement {
  readonly name: string;
  readonly url: string;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

async function timedRequest(app: FastifyInstance, name: string, url: string): Promise<number> {
  const started = performance.now();
  const response = await app.inject({ method: "GET", url });
  const elapsed = performance.now() - started;
  if (response.statusCode !== 200) {
    throw new Error(`${name}: ${url} answered ${response.statusCode}: ${response.body}`);
  }
  return elapsed;
}

function summarise(name: string, url: string, times: number[]): Measurement {
  times.sort((a, b) => a - b);
  const round = (value: number): number => Math.round(value * 10) / 10;
  return {
    name,
    url,
    p50Ms: round(percentile(times, 0.5)),
    p95Ms: round(percentile(times, 0.95)),
    maxMs: round(times.at(-1) ?? Number.NaN),
  };
}

/**
 * Sequential requests to each endpoint, taking turns (after a warm-up), so drift over the run
 * (garbage collection, caches warming) falls on all of them alike; every answer must be a 200.
 */
export async function measureTogether(
  app: FastifyInstance,
  endpoints: readonly (readonly [name: string, url: string])[],
): Promise<Measurement[]> {
  const times = endpoints.map((): number[] => []);
  for (let round = 0; round < WARM_UP_REQUESTS + REQUESTS; round++) {
    for (const [index, [name, url]] of endpoints.entries()) {
      const elapsed = await timedRequest(app, name, url);
      if (round >= WARM_UP_REQUESTS) times[index]?.push(elapsed);
    }
  }
  return endpoints.map(([name, url], index) => summarise(name, url, times[index] ?? []));
}

export interface DeepPage {
  /** Query string filter of the list ("" for none). */
  readonly filter: string;
  readonly page: number;
  /** The (created_at, id) of the last row of the page before it: its `after` cursor key. */
  readonly key: [number, string];
}

async function keyBefore(
  db: Kysely<HistorySchema>,
  page: number,
  where: ReturnType<typeof sql> | undefined,
): Promise<[number, string]> {
  const result = await sql<{ created_at: number; id: string }>`
    select created_at, id from jobs ${where === undefined ? sql`` : sql`where ${where}`}
    order by created_at desc, id desc offset ${(page - 1) * PAGE_SIZE - 1} limit 1`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error(`the list has no page ${page}`);
  return [row.created_at, row.id];
}

/** The deep pages measured: the default list's, the status=complete list's, one function's. */
export async function deepPageKeys(db: Kysely<HistorySchema>, page: number): Promise<DeepPage[]> {
  const functionRows = await sql<{ count: number }>`
    select count(*)::int as count from jobs where function = 'fn.03'`.execute(db);
  const functionPage = Math.min(page, Math.floor((functionRows.rows[0]?.count ?? 0) / PAGE_SIZE) - 1);
  return [
    { filter: "", page, key: await keyBefore(db, page, undefined) },
    { filter: "status=complete", page, key: await keyBefore(db, page, sql`status = 'complete'`) },
    {
      filter: "function=fn.03",
      page: functionPage,
      key: await keyBefore(db, functionPage, sql`function = 'fn.03'`),
    },
  ];
}

/** EXPLAIN (ANALYZE, BUFFERS) of the main list, tree and rollup queries, as the API issues them. */
export async function explainMain(
  db: Kysely<HistorySchema>,
  deep: readonly DeepPage[],
  treeRoot: string,
): Promise<void> {
  const schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]
    ?.schema;
  const pool = new pg.Pool({
    connectionString: process.env.UPNEXT_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test",
    max: 1,
    options: `-c search_path=${schema ?? "public"}`,
  });
  const captured: CompiledQuery[] = [];
  const logged = new Kysely<HistorySchema>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === "query") captured.push(event.query);
    },
  });
  const after = (key: [number, string]): Cursor => ({ key, direction: "after" });
  const now = Date.now();
  const runs: [string, () => Promise<unknown>][] = [
    ["jobs list, first page", () => listJobs(logged, {}, { limit: PAGE_SIZE, cursor: undefined })],
    ...deep.map((page): [string, () => Promise<unknown>] => [
      `jobs list ${page.filter || "(no filter)"}, page ${page.page}`,
      () =>
        listJobs(
          logged,
          page.filter.startsWith("status=")
            ? { statuses: ["complete"] }
            : page.filter.startsWith("function=")
              ? { functions: ["fn.03"] }
              : {},
          { limit: PAGE_SIZE, cursor: after(page.key) },
        ),
    ]),
    [
      "jobs list function=fn.03&status=failed",
      () =>
        listJobs(
          logged,
          { functions: ["fn.03"], statuses: ["failed"] },
          { limit: PAGE_SIZE, cursor: undefined },
        ),
    ],
    [
      "timeline of the 10,000-job tree",
      () => listTree(logged, treeRoot, { limit: PAGE_SIZE, cursor: undefined }),
    ],
    ["trends, 7 days", () => rollupBuckets(logged, { from: now - 168 * HOUR_MS, to: now })],
    [
      "stats by function, 24 hours",
      () => rollupTotalsByFunction(logged, { from: now - 24 * HOUR_MS, to: now }),
    ],
  ];
  try {
    for (const [name, run] of runs) {
      captured.length = 0;
      await run();
      for (const query of captured) {
        const plan = await pool.query<{ "QUERY PLAN": string }>(
          `explain (analyze, buffers) ${query.sql}`,
          query.parameters as unknown[],
        );
        console.log(`\n-- ${name}\n${plan.rows.map((row) => row["QUERY PLAN"]).join("\n")}`);
      }
    }
  } finally {
    await logged.destroy();
  }
}
