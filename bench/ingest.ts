/**
 * The ingest benchmark (issue 4 §7: "at a sustained 2,000 jobs/s with progress events, ingest lag
 * stays bounded on both SQLite and PostgreSQL; report the highest events/s each sustains").
 * For each dialect, on a fresh database (an SQLite file in a temporary folder, or a fresh schema
 * of UPNEXT_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test):
 *
 * 1. drain: N status events (7 per job: queued with its input, started, 3 progress, a log line,
 *    completed) are written to the stream first; then one ingester, in this process, applies
 *    them. events/s = N / the time from its start until the group has acknowledged them all.
 * 2. sustained: a worker process (concurrency 50, each job reports progress twice) and an
 *    ingester process run while this process submits 2,000 jobs/s for the duration (open loop,
 *    like the queue benchmark's sustained workloads): 5 events per job, 10,000 events/s. Every
 *    250 ms the lag is sampled: the age of the oldest event not yet applied (undelivered to the
 *    group, or delivered and not yet acknowledged). Reported: its p50/p95/max, the time to catch
 *    up after the last submit, and whether every job ended `complete` in the history.
 *
 *   npm run bench -- --only=ingest            (through run.ts), or directly:
 *   tsx bench/ingest.ts [--quick] [--dialect=sqlite|postgres] [--phase=drain|sustained]
 */
import { fork } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { STATUS_EVENT_FIELD, loadConfig, namespaceKeys } from "@upnext/core";
import {
  createDependencies,
  migrate,
  openDatabase,
  openServerRedis,
  startIngester,
  type HistoryDatabase,
} from "@upnext/server";
import { Redis } from "ioredis";
import { sql } from "kysely";
import { Worker } from "upnext";
import { BENCH_TASK, type IngestChildMessage, type IngestChildSpec } from "./ingest-shared.js";
import { deleteNamespace } from "./redis-keys.js";

const REDIS_URL = process.env.UPNEXT_REDIS_URL ?? "redis://127.0.0.1:6379";
const POSTGRES_URL = process.env.UPNEXT_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const CHILD = fileURLToPath(new URL("./ingest-child.ts", import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const dialectArg = args.find((arg) => arg.startsWith("--dialect="))?.slice("--dialect=".length);
const phaseArg = args.find((arg) => arg.startsWith("--phase="))?.slice("--phase=".length);
const DIALECTS = (dialectArg ? [dialectArg] : ["sqlite", "postgres"]) as ("sqlite" | "postgres")[];

const DRAIN_JOBS = quick ? 5_000 : 30_000;
const EVENTS_PER_DRAIN_JOB = 7;
const SUSTAINED_RATE = 2_000;
const SUSTAINED_S = quick ? 5 : 15;
const CONCURRENCY = 50;
const TICK_MS = 10;
const SAMPLE_MS = 250;
/** Jobs whose events go to Redis in one pipeline while the stream is pre-loaded. */
const JOBS_PER_APPEND = 300;
const CATCH_UP_TIMEOUT_MS = 120_000;
const GROUP = "history";

interface DatabaseTarget {
  readonly url: string;
  readonly schema?: string;
  readonly label: string;
  cleanup(): Promise<void>;
}

async function freshDatabase(dialect: "sqlite" | "postgres", runId: string): Promise<DatabaseTarget> {
  if (dialect === "sqlite") {
    const dir = await mkdtemp(join(tmpdir(), "upnext-bench-ingest-"));
    return {
      url: `sqlite:${join(dir, "history.db")}`,
      label: "SQLite (file, WAL)",
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const schema = `bench_ingest_${runId}`;
  const drop = async (): Promise<void> => {
    const database = await openDatabase(POSTGRES_URL, { poolSize: 1 });
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
    await database.close();
  };
  await drop();
  return { url: POSTGRES_URL, schema, label: `PostgreSQL (schema ${schema})`, cleanup: drop };
}

async function openMigrated(target: DatabaseTarget): Promise<HistoryDatabase> {
  const database = await openDatabase(
    target.url,
    target.schema === undefined ? {} : { schema: target.schema },
  );
  await migrate(database);
  return database;
}

/** Age of the oldest event of the stream not yet applied: undelivered, or delivered and pending. */
async function lagMs(admin: Redis, stream: string): Promise<number> {
  const [pending, groups] = await Promise.all([
    admin.xpending(stream, GROUP) as Promise<[number, string | null, string | null, unknown]>,
    admin.call("XINFO", "GROUPS", stream) as Promise<unknown[][]>,
  ]);
  let oldest: string | null = pending[0] > 0 ? pending[1] : null;
  if (oldest === null) {
    const group = groups.find((fields) => fields[fields.indexOf("name") + 1] === GROUP) ?? [];
    const delivered = group[group.indexOf("last-delivered-id") + 1];
    const from = typeof delivered === "string" ? delivered : "0-0";
    const next = await admin.xrange(stream, `(${from}`, "+", "COUNT", 1);
    oldest = next[0]?.[0] ?? null;
  }
  return oldest === null ? 0 : Math.max(0, Date.now() - Number(oldest.split("-")[0]));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

// ---- 1. drain -------------------------------------------------------------------------------

function lifecycle(index: number, at: number): unknown[] {
  const envelope = {
    jobId: `bench${String(index).padStart(10, "0")}`,
    function: `fn-${index % 10}`,
    parentId: null,
    rootId: `bench${String(index).padStart(10, "0")}`,
    tags: { tenant: `t${index % 50}` },
  };
  const worker = { ...envelope, workerId: "bench-worker-0000abcd", attempt: 1 };
  return [
    {
      ...envelope,
      type: "queued",
      attempt: 0,
      workerId: null,
      at,
      data: {
        from: "submit",
        input: { order: index, items: [1, 2, 3] },
        maxAttempts: 3,
        priority: 0,
        idempotencyKey: null,
      },
    },
    { ...worker, type: "started", at: at + 1, data: { startedAt: at + 1, queueWaitMs: 1, deliveries: 1 } },
    { ...worker, type: "progress", at: at + 2, data: { progress: 0.25 } },
    { ...worker, type: "progress", at: at + 3, data: { progress: 0.5, message: "half way" } },
    { ...worker, type: "log", at: at + 4, data: { level: "info", message: `order ${index} processed` } },
    { ...worker, type: "progress", at: at + 5, data: { progress: 1 } },
    { ...worker, type: "completed", at: at + 6, data: { result: { ok: true }, durationMs: 5 } },
  ];
}

async function drainPhase(dialect: "sqlite" | "postgres", runId: string): Promise<Record<string, unknown>> {
  const namespace = `bench-${runId}-ingest-drain-${dialect}`;
  const keys = namespaceKeys(namespace);
  const admin = new Redis(REDIS_URL);
  const target = await freshDatabase(dialect, `${runId}_drain`);
  const database = await openMigrated(target);
  try {
    const at = Date.now();
    for (let first = 0; first < DRAIN_JOBS; first += JOBS_PER_APPEND) {
      const pipeline = admin.pipeline();
      const last = Math.min(DRAIN_JOBS, first + JOBS_PER_APPEND);
      for (let index = first; index < last; index++) {
        for (const event of lifecycle(index, at))
          pipeline.xadd(keys.events, "*", STATUS_EVENT_FIELD, JSON.stringify(event));
      }
      await pipeline.exec();
    }
    const events = await admin.xlen(keys.events);
    const config = loadConfig(
      { ...process.env, UPNEXT_NAMESPACE: namespace, UPNEXT_LOG_LEVEL: "warn" },
      () => undefined,
    );
    const redis = openServerRedis(REDIS_URL);
    const deps = createDependencies({ config, redis, database });
    const started = performance.now();
    const ingester = startIngester(deps, { start: "0" });
    await ingester.drain(CATCH_UP_TIMEOUT_MS * 5);
    const seconds = (performance.now() - started) / 1000;
    await ingester.stop();
    deps.stop();
    redis.disconnect();
    const rows = await database.db
      .selectFrom("jobs")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("status", "=", "complete")
      .executeTakeFirstOrThrow();
    return {
      phase: "drain",
      dialect,
      database: target.label,
      events,
      jobs: DRAIN_JOBS,
      batch: config.ingestBatch,
      seconds: Number(seconds.toFixed(2)),
      events_per_s: Math.round(events / seconds),
      jobs_per_s: Math.round(DRAIN_JOBS / seconds),
      complete_rows: rows.count,
      all_applied: rows.count === DRAIN_JOBS,
    };
  } finally {
    await database.close();
    await target.cleanup();
    await deleteNamespace(admin, namespace);
    admin.disconnect();
  }
}

// ---- 2. sustained ---------------------------------------------------------------------------

class Child {
  private readonly inbox: IngestChildMessage[] = [];
  private readonly process;
  constructor(spec: IngestChildSpec) {
    this.process = fork(CHILD, [JSON.stringify(spec)], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, UPNEXT_LOG_LEVEL: "warn" },
    });
    this.process.on("message", (message: IngestChildMessage) => this.inbox.push(message));
  }
  async next<T extends IngestChildMessage["type"]>(
    type: T,
  ): Promise<Extract<IngestChildMessage, { type: T }>> {
    for (;;) {
      const index = this.inbox.findIndex((message) => message.type === type);
      if (index >= 0) return this.inbox.splice(index, 1)[0] as Extract<IngestChildMessage, { type: T }>;
      if (this.process.exitCode !== null)
        throw new Error(`an ingest bench child exited (${this.process.exitCode})`);
      await sleep(20);
    }
  }
  async stop(): Promise<Readonly<Record<string, unknown>>> {
    this.process.send({ type: "stop" });
    return (await this.next("stopped")).counters;
  }
}

async function sustainedPhase(
  dialect: "sqlite" | "postgres",
  runId: string,
): Promise<Record<string, unknown>> {
  const namespace = `bench-${runId}-ingest-sustained-${dialect}`;
  const keys = namespaceKeys(namespace);
  const admin = new Redis(REDIS_URL);
  const target = await freshDatabase(dialect, `${runId}_sustained`);
  await (await openMigrated(target)).close();
  const base = { redisUrl: REDIS_URL, namespace, concurrency: CONCURRENCY };
  const ingester = new Child({
    ...base,
    role: "ingester",
    databaseUrl: target.url,
    ...(target.schema ? { schema: target.schema } : {}),
  });
  await ingester.next("ready");
  // The group is created at `$` by the ingester: wait for it before anything is written.
  while (((await admin.call("XINFO", "GROUPS", keys.events).catch(() => [])) as unknown[]).length === 0)
    await sleep(20);
  const worker = new Child({ ...base, role: "worker" });
  await worker.next("ready");
  const producer = new Worker({
    name: "bench-ingest-producer",
    namespace,
    redis: REDIS_URL,
    handleSignals: false,
  });
  const task = producer.task(BENCH_TASK, {}, (input: { n: number }) => input.n);

  const samples: number[] = [];
  const sampling = { on: true };
  const sampler = (async () => {
    while (sampling.on) {
      samples.push(await lagMs(admin, keys.events));
      await sleep(SAMPLE_MS);
    }
  })();

  let submitted = 0;
  let errors = 0;
  let maxTickLag = 0;
  const started = Date.now();
  let lastTick = started;
  const pending: Promise<unknown>[] = [];
  while (Date.now() - started < SUSTAINED_S * 1000) {
    const tick = Date.now();
    maxTickLag = Math.max(maxTickLag, tick - lastTick - TICK_MS);
    lastTick = tick;
    // Arrivals follow the clock: a late tick submits everything that was due by now.
    const due = Math.floor(((tick - started) / 1000) * SUSTAINED_RATE);
    for (; submitted < due; submitted++) {
      pending.push(
        task.submit({ n: submitted }).catch(() => {
          errors += 1;
        }),
      );
    }
    await sleep(TICK_MS);
  }
  await Promise.all(pending);
  const producedAt = Date.now();
  // Flushes the producer's buffered `queued` events.
  await producer.stop();

  // Caught up: every job complete in the history and nothing left unapplied in the stream.
  const database = await openDatabase(
    target.url,
    target.schema === undefined ? {} : { schema: target.schema },
  );
  const counts = async (): Promise<Record<string, number>> => {
    const rows = await database.db
      .selectFrom("jobs")
      .select(["status", (eb) => eb.fn.countAll<number>().as("count")])
      .groupBy("status")
      .execute();
    return Object.fromEntries(rows.map((row) => [row.status, row.count]));
  };
  let statuses = await counts();
  while ((statuses.complete ?? 0) < submitted - errors || (await lagMs(admin, keys.events)) > 0) {
    if (Date.now() - producedAt > CATCH_UP_TIMEOUT_MS) break;
    await sleep(50);
    statuses = await counts();
  }
  const catchUpMs = Date.now() - producedAt;
  sampling.on = false;
  await sampler;
  const workerCounters = await worker.stop();
  const ingesterCounters = await ingester.stop();
  await database.close();
  await target.cleanup();
  await deleteNamespace(admin, namespace);
  admin.disconnect();

  const sorted = [...samples].sort((a, b) => a - b);
  const complete = statuses.complete ?? 0;
  return {
    phase: "sustained",
    dialect,
    database: target.label,
    offered_jobs_per_s: SUSTAINED_RATE,
    duration_s: SUSTAINED_S,
    submitted,
    submit_errors: errors,
    producer_max_lag_ms: Math.round(maxTickLag),
    events_stored: ingesterCounters.stored,
    events_per_s: Math.round(Number(ingesterCounters.stored) / ((producedAt - started + catchUpMs) / 1000)),
    lag_p50_ms: percentile(sorted, 50),
    lag_p95_ms: percentile(sorted, 95),
    lag_max_ms: sorted[sorted.length - 1] ?? 0,
    catch_up_after_last_submit_ms: catchUpMs,
    statuses,
    complete_rows: complete,
    all_complete: complete === submitted,
    worker: workerCounters,
  };
}

/** "Bounded" for the report: the oldest unapplied event never older than this, and caught up as fast. */
const LAG_BOUND_MS = 5_000;

function report(result: Record<string, unknown>): string {
  if (result.phase === "drain") {
    return `  drain     ${String(result.dialect).padEnd(8)} ${String(result.events_per_s).padStart(7)} events/s (${String(result.events)} events of ${String(result.jobs)} jobs in ${String(result.seconds)} s, batch ${String(result.batch)}; all applied: ${String(result.all_applied)})`;
  }
  return `  sustained ${String(result.dialect).padEnd(8)} ${String(result.offered_jobs_per_s)} jobs/s for ${String(result.duration_s)} s: ${String(result.events_per_s)} events/s applied; lag p50 ${String(result.lag_p50_ms)} ms, p95 ${String(result.lag_p95_ms)} ms, max ${String(result.lag_max_ms)} ms; caught up ${String(result.catch_up_after_last_submit_ms)} ms after the last submit; every job complete: ${String(result.all_complete)}`;
}

function bounded(result: Record<string, unknown>): boolean {
  return (
    Number(result.lag_max_ms) < LAG_BOUND_MS &&
    Number(result.catch_up_after_last_submit_ms) < LAG_BOUND_MS &&
    result.all_complete === true
  );
}

export async function runIngestBench(): Promise<Record<string, unknown>[]> {
  const runId = Date.now().toString(36);
  const results: Record<string, unknown>[] = [];
  console.log(
    `\nIngest | ${quick ? "quick" : "full"} run | drain: ${DRAIN_JOBS} jobs x ${EVENTS_PER_DRAIN_JOB} events | sustained: ${SUSTAINED_RATE} jobs/s x ${SUSTAINED_S} s, 5 events per job | load average ${os.loadavg()[0]?.toFixed(2) ?? "?"} on ${os.availableParallelism()} cores`,
  );
  for (const dialect of DIALECTS) {
    if (phaseArg !== "sustained") {
      process.stdout.write(`ingest drain / ${dialect} ... `);
      const result = await drainPhase(dialect, runId);
      console.log(`${String(result.events_per_s)} events/s`);
      results.push(result);
    }
    if (phaseArg !== "drain") {
      process.stdout.write(`ingest sustained ${SUSTAINED_RATE} jobs/s / ${dialect} ... `);
      const result = await sustainedPhase(dialect, runId);
      console.log(`lag p95 ${String(result.lag_p95_ms)} ms, max ${String(result.lag_max_ms)} ms`);
      results.push(result);
    }
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await runIngestBench();
  console.log("");
  for (const result of results) console.log(report(result));
  for (const result of results.filter((entry) => entry.phase === "sustained")) {
    const pass = bounded(result);
    if (!pass) process.exitCode = 1;
    console.log(
      `  ${pass ? "PASS" : "MISS"}  ${String(result.dialect)}: ingest lag bounded at ${SUSTAINED_RATE} jobs/s (max ${String(result.lag_max_ms)} ms and catch-up ${String(result.catch_up_after_last_submit_ms)} ms < ${LAG_BOUND_MS} ms, every job complete)`,
    );
  }
  const full = !quick && dialectArg === undefined && phaseArg === undefined;
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, full ? "ingest.json" : "ingest-partial.json");
  const machine = { cores: os.availableParallelism(), loadavg_1m: os.loadavg()[0], node: process.version };
  await writeFile(file, `${JSON.stringify({ machine, results }, null, 2)}\n`);
  console.log(`  wrote ${file}`);
}
