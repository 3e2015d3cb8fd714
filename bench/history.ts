/**
 * The history benchmark (issue 4 §7: "History at 1,000,000 jobs"): seeds 1,000,000 jobs (with
 * tags, events and rollups) into a PostgreSQL schema of its own (history-seed.ts), builds the
 * server app on it and on a Redis namespace of its own (a function and worker registry, queue
 * keys), and measures through app.inject:
 *   - the jobs list's first page against its 10,000th page by cursor (target: ratio < 2);
 *   - the p95 latency of every dashboard endpoint (target: < 200 ms).
 * Prints a table and PASS/MISS lines, writes bench/results/history.json (history-partial.json
 * with --quick), and drops the schema and the keys afterwards.
 *
 *   npm run bench -- --only=history        # 1,000,000 jobs; about 3 minutes, most of it seeding
 *   tsx bench/history.ts --quick           # 100,000 jobs (the 10,000th page is then the 1,000th)
 *   tsx bench/history.ts --keep            # keep the schema; --reuse then skips the seeding
 *   tsx bench/history.ts --explain         # also print EXPLAIN ANALYZE of the main queries
 * Environment: UPNEXT_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test),
 * UPNEXT_REDIS_URL (default redis://127.0.0.1:6379).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Config, functionKeys, loadConfig, namespaceKeys } from "@upnext/core";
import { buildApp, createDependencies, migrate, openDatabase, openServerRedis } from "@upnext/server";
import { sql } from "kysely";
import { pino } from "pino";
import { encodeCursor } from "../packages/server/src/store/keyset.js";
import { FUNCTION_COUNT, functionNameOf, jobIdOf, seedHistory, type SeededHistory } from "./history-seed.js";
import {
  type Measurement,
  PAGE_SIZE,
  REQUESTS,
  deepPageKeys,
  explainMain,
  measureTogether,
  type DeepPage,
} from "./history-measure.js";
import { deleteNamespace } from "./redis-keys.js";

const FULL_JOBS = 1_000_000;
const QUICK_JOBS = 100_000;
const DEEP_PAGE = 10_000;
const QUICK_DEEP_PAGE = 1_000;
/** Targets of issue 4 §7. */
export const DEEP_PAGE_RATIO_TARGET = 2;
export const P95_TARGET_MS = 200;
const WORKERS = 8;
const SCHEMA = "bench_history";

const args = process.argv.slice(2);
const known = /^--(quick|keep|reuse|explain)$/;
const unknown = args.filter((arg) => !known.test(arg));
if (unknown.length > 0) {
  console.error(`unknown option(s): ${unknown.join(" ")}; known: --quick --keep --reuse --explain`);
  process.exit(2);
}
const quick = args.includes("--quick");
const jobs = quick ? QUICK_JOBS : FULL_JOBS;
const deepPage = quick ? QUICK_DEEP_PAGE : DEEP_PAGE;
const POSTGRES_URL = process.env.UPNEXT_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.UPNEXT_REDIS_URL ?? "redis://127.0.0.1:6379";
const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));

async function seedRegistry(
  config: Config,
  redis: ReturnType<typeof openServerRedis>,
  now: number,
): Promise<void> {
  const keys = namespaceKeys(config.namespace);
  const pipeline = redis.pipeline();
  for (let index = 0; index < FUNCTION_COUNT; index++) {
    const name = functionNameOf(index);
    const fn = functionKeys(config.namespace, name);
    pipeline.sadd(keys.functions, name);
    pipeline.hset(keys.function(name), {
      name,
      kind: "task",
      options: JSON.stringify({ retries: 2, timeoutMs: index % 2 === 0 ? 60_000 : 600_000, concurrency: 10 }),
      updatedAt: String(now),
    });
    pipeline.hset(fn.config, { concurrency: "10" });
    for (let entry = 0; entry < 50; entry++) pipeline.xadd(fn.stream, "*", "id", `q${entry}`);
    pipeline.zadd(fn.scheduled, now + 60_000, "s1", now + 120_000, "s2");
    pipeline.zadd(fn.leases, now + 30_000, "l1");
    pipeline.zadd(fn.deadLetter, now - 60_000, "d1", now - 7_200_000, "d2");
  }
  for (let index = 0; index < WORKERS; index++) {
    const id = `bench-w${index}-0000000${index}`;
    pipeline.hset(keys.worker(id), {
      id,
      name: `bench-w${index}`,
      host: "bench",
      pid: String(1000 + index),
      functions: JSON.stringify(Array.from({ length: FUNCTION_COUNT }, (_, fn) => functionNameOf(fn))),
      concurrency: "50",
      active: "10",
      held: "12",
      completed: "1000",
      failed: "10",
      startedAt: String(now - 3_600_000),
      lastSeen: String(now),
    });
    pipeline.zadd(keys.workers, now, id);
  }
  await pipeline.exec();
}

function printTable(rows: readonly Measurement[]): void {
  const width = Math.max(...rows.map((row) => row.name.length));
  console.log(
    `\n${"endpoint".padEnd(width)}  ${"p50 ms".padStart(8)}  ${"p95 ms".padStart(8)}  ${"max ms".padStart(8)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(width)}  ${row.p50Ms.toFixed(1).padStart(8)}  ${row.p95Ms.toFixed(1).padStart(8)}  ${row.maxMs.toFixed(1).padStart(8)}`,
    );
  }
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const namespace = `bench-history-${Date.now().toString(36)}`;
  const config = loadConfig(
    {
      UPNEXT_NAMESPACE: namespace,
      UPNEXT_REDIS_URL: REDIS_URL,
      UPNEXT_LOG_LEVEL: "silent",
      // One client sends every request here: the per-client limit would answer 429.
      UPNEXT_API_RATE_LIMIT: "1000000/s",
    },
    () => undefined,
  );
  const database = await openDatabase(POSTGRES_URL, { schema: SCHEMA, poolSize: 10 });
  const redis = openServerRedis(REDIS_URL);
  const now = Date.now();
  let seeded: SeededHistory;
  try {
    const existing = args.includes("--reuse")
      ? await sql<{ count: number }>`select count(*)::int as count from jobs`
          .execute(database.db)
          .catch(() => undefined)
      : undefined;
    if (existing?.rows[0]?.count === jobs) {
      const root = await sql<{ root_id: string }>`
        select root_id from jobs group by root_id order by count(*) desc limit 1`.execute(database.db);
      const logged = await sql<{ job_id: string }>`
        select job_id from job_events where type = 'log' group by job_id order by count(*) desc limit 1`.execute(
        database.db,
      );
      seeded = {
        jobs,
        start: 0,
        now,
        bigTreeRoot: root.rows[0]?.root_id ?? "",
        loggedJob: logged.rows[0]?.job_id ?? "",
        seconds: {},
      };
      console.log(
        `reusing ${jobs.toLocaleString("en")} jobs in schema ${SCHEMA} (times are relative to the seeding run)`,
      );
    } else {
      process.stdout.write(`seeding ${jobs.toLocaleString("en")} jobs into PostgreSQL schema ${SCHEMA} ... `);
      await sql`drop schema if exists ${sql.id(SCHEMA)} cascade`.execute(database.db);
      await sql`create schema ${sql.id(SCHEMA)}`.execute(database.db);
      await migrate(database);
      seeded = await seedHistory(database.db, jobs, now);
      const total = Object.values(seeded.seconds).reduce((sum, value) => sum + value, 0);
      console.log(
        `${total.toFixed(1)} s (${Object.entries(seeded.seconds)
          .map(([step, s]) => `${step} ${s} s`)
          .join(", ")})`,
      );
    }
    await seedRegistry(config, redis, now);

    const deps = createDependencies({ config, redis, database });
    const app = await buildApp({ deps, logger: pino({ level: "silent" }) });
    await app.ready();
    try {
      const deep: DeepPage[] = await deepPageKeys(database.db, deepPage);
      const cursorOf = (page: DeepPage) => encodeCursor({ key: page.key, direction: "after" });
      const sampleJob = jobIdOf(Math.floor(jobs / 3));
      const endpoints: [string, string][] = [
        ["jobs list, page 1", "/api/v1/jobs?limit=50"],
        ...deep.map((page): [string, string] => [
          `jobs list${page.filter === "" ? "" : ` ${page.filter}`}, page ${page.page.toLocaleString("en")}`,
          `/api/v1/jobs?limit=${PAGE_SIZE}${page.filter === "" ? "" : `&${page.filter}`}&cursor=${cursorOf(page)}`,
        ]),
        ["jobs list status=failed, page 1", "/api/v1/jobs?status=failed"],
        ["jobs list function+status, page 1", "/api/v1/jobs?function=fn.03&status=failed"],
        ["jobs list tag=tenant:t42, page 1", "/api/v1/jobs?tag=tenant:t42"],
        ["jobs list q=<error text>", "/api/v1/jobs?q=timed%20out%20after%2042"],
        ["jobs list q=<no match> (one bounded scan)", "/api/v1/jobs?q=no-such-text"],
        ["job detail", `/api/v1/jobs/${sampleJob}`],
        ["job timeline (10,000-job tree), page 1", `/api/v1/jobs/${seeded.bigTreeRoot}/timeline`],
        ["job events", `/api/v1/jobs/${sampleJob}/events`],
        ["job logs (2,000 lines), page 1", `/api/v1/jobs/${seeded.loggedJob}/logs`],
        ["jobs stats (24 h)", "/api/v1/jobs/stats"],
        ["jobs stats by function (7 d)", `/api/v1/jobs/stats?by=function&from=${now - 7 * 86_400_000}`],
        ["jobs trends (24 h)", "/api/v1/jobs/trends"],
        ["jobs trends (7 d)", "/api/v1/jobs/trends?hours=168"],
        ["functions", "/api/v1/functions"],
        ["function detail", "/api/v1/functions/fn.03"],
        ["workers", "/api/v1/workers"],
        ["queues", "/api/v1/queues"],
        ["dashboard summary", "/api/v1/dashboard/summary"],
      ];
      // The first page and the deep pages take turns, so their ratio compares like with like.
      const lists = endpoints.slice(0, 1 + deep.length);
      const rows: Measurement[] = await measureTogether(app, lists);
      for (const endpoint of endpoints.slice(lists.length))
        rows.push(...(await measureTogether(app, [endpoint])));
      printTable(rows);

      const first = rows[0];
      const deepDefault = rows[1];
      const ratioP50 = first && deepDefault ? deepDefault.p50Ms / first.p50Ms : Number.NaN;
      const ratioP95 = first && deepDefault ? deepDefault.p95Ms / first.p95Ms : Number.NaN;
      const worst = rows.reduce((max, row) => (row.p95Ms > max.p95Ms ? row : max));
      const ratioPass = ratioP50 < DEEP_PAGE_RATIO_TARGET && ratioP95 < DEEP_PAGE_RATIO_TARGET;
      const p95Pass = worst.p95Ms < P95_TARGET_MS;
      console.log(
        `\n${ratioPass ? "PASS" : "MISS"} page ${deepPage.toLocaleString("en")} / page 1 of the jobs list: ` +
          `${ratioP50.toFixed(2)}x at p50, ${ratioP95.toFixed(2)}x at p95 (target < ${DEEP_PAGE_RATIO_TARGET}x)`,
      );
      console.log(
        `${p95Pass ? "PASS" : "MISS"} slowest p95: ${worst.name} ${worst.p95Ms.toFixed(1)} ms (target < ${P95_TARGET_MS} ms, ${REQUESTS} requests per endpoint)`,
      );
      if (args.includes("--explain")) await explainMain(database.db, deep, seeded.bigTreeRoot);

      await mkdir(RESULTS_DIR, { recursive: true });
      const file = `${RESULTS_DIR}${quick ? "history-partial.json" : "history.json"}`;
      const result = {
        jobs,
        deep_page: deepPage,
        page_size: PAGE_SIZE,
        requests_per_endpoint: REQUESTS,
        seed_seconds: seeded.seconds,
        deep_page_ratio_p50: Math.round(ratioP50 * 100) / 100,
        deep_page_ratio_p95: Math.round(ratioP95 * 100) / 100,
        deep_page_ratio_target: DEEP_PAGE_RATIO_TARGET,
        p95_target_ms: P95_TARGET_MS,
        endpoints: rows,
        pass: ratioPass && p95Pass,
        total_seconds: Math.round((performance.now() - startedAt) / 1000),
        postgres: (await sql<{ version: string }>`select version()`.execute(database.db)).rows[0]?.version,
        date: new Date().toISOString(),
      };
      await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
      console.log(`wrote ${file} (${result.total_seconds} s in all)`);
      if (!result.pass) process.exitCode = 1;
    } finally {
      await app.close();
      deps.stop();
    }
  } finally {
    await deleteNamespace(redis, namespace).catch(() => undefined);
    if (!args.includes("--keep")) {
      await sql`drop schema if exists ${sql.id(SCHEMA)} cascade`.execute(database.db).catch(() => undefined);
    }
    redis.disconnect();
    await database.close();
  }
}

await main();
