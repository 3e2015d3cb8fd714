import {
  type DashboardSummary,
  type FunctionDetail,
  type FunctionList,
  type JobList,
  type QueueList,
  type WorkerList,
  type WorkerSummary,
  dashboardSummarySchema,
  functionDetailSchema,
  functionKeys,
  functionListSchema,
  loadConfig,
  queueListSchema,
  workerListSchema,
} from "@upnext/core";
import { Worker } from "upnext";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS_URL, type TestApp, createTestApp } from "./helpers/app.js";
import { DIALECTS } from "./helpers/database.js";
import { errorOf, expectUnavailable, getOk } from "./helpers/api-requests.js";
import { type OutageApp, appWithDatabaseDown, appWithRedisDown } from "./helpers/outage-apps.js";
import { hourOf, insertJobs, insertRollups } from "./helpers/seed-history.js";

const MINUTE_MS = 60_000;
const ENQUEUED_ONLY = ["billing.charge", "audit.log", "cleanup.run", "zeta.last"];
const ALL_FUNCTIONS = [...ENQUEUED_ONLY, "email.send", "report.build"].sort();
const FAKE_WORKERS = [0, 1, 2, 3, 4].map((index) => `fake-${index}-0000000${index}`);
const SAMPLE_DURATIONS = Array.from({ length: 20 }, (_, index) => (index + 1) * 10);

async function getAll<T extends { page: { next: string | null } }>(
  test: TestApp,
  first: string,
  items: (page: T) => string[],
): Promise<{ ids: string[]; pages: T[] }> {
  const ids: string[] = [];
  const pages: T[] = [];
  let url: string | null = first;
  while (url !== null) {
    const target: string = url;
    const response = await test.app.inject({ method: "GET", url: target });
    expect(response.statusCode, response.body).toBe(200);
    const page = response.json<T>();
    pages.push(page);
    ids.push(...items(page));
    url = page.page.next;
  }
  return { ids, pages };
}

describe.each(DIALECTS)("functions, workers, queues and the dashboard on %s", (dialect) => {
  let test: TestApp;
  let worker: Worker;
  let now: number;
  let stuckId: string;
  let oldestQueuedId: string;
  let workerId: string;

  beforeAll(async () => {
    test = await createTestApp({ dialect, label: "registry-api" });
    now = Date.now();
    const config = loadConfig(
      { UPNEXT_REDIS_URL: REDIS_URL, UPNEXT_LOG_LEVEL: "silent", UPNEXT_HEARTBEAT_INTERVAL: "1h" },
      () => undefined,
    );
    // A real worker registers its functions and itself, exactly as in production.
    worker = new Worker({
      name: "api-worker",
      namespace: test.namespace,
      handleSignals: false,
      concurrency: 4,
      config,
    });
    worker.task("email.send", { timeout: "30s", concurrency: 5, rateLimit: "100/m" }, () => null);
    worker.task("report.build", {}, () => null);
    await worker.start();
    workerId = worker.workerId ?? "";

    const { redis, namespace, deps } = test;
    const billing = functionKeys(namespace, "billing.charge");
    const pipeline = redis.pipeline();
    for (const name of ENQUEUED_ONLY) pipeline.sadd(deps.keys.functions, name);
    for (let index = 0; index < 3; index++) pipeline.xadd(billing.stream, "*", "id", `j${index}`);
    pipeline.zadd(billing.priority, now, "p1", now, "p2");
    // Due in an hour: the worker's promoter must not move them meanwhile.
    const later = now + 3_600_000;
    pipeline.zadd(billing.scheduled, later, "s1", later, "s2", later, "s3", later, "s4");
    pipeline.zadd(billing.waiting, now, "w1");
    pipeline.zadd(billing.leases, now + 30_000, "l1", now + 30_000, "l2");
    pipeline.zadd(
      billing.deadLetter,
      now - 10 * MINUTE_MS,
      "d1",
      now - 5 * MINUTE_MS,
      "d2",
      now - 3 * 3_600_000,
      "d3",
    );
    for (const id of FAKE_WORKERS) {
      const lastSeen = now - 10 * MINUTE_MS;
      pipeline.hset(deps.keys.worker(id), {
        id,
        name: "fake",
        host: "elsewhere",
        pid: "1",
        functions: JSON.stringify(["billing.charge"]),
        concurrency: "2",
        active: "0",
        held: "0",
        completed: "7",
        failed: "1",
        startedAt: String(lastSeen - MINUTE_MS),
        lastSeen: String(lastSeen),
      });
      pipeline.zadd(deps.keys.workers, lastSeen, id);
    }
    await pipeline.exec();

    const db = test.database.database.db;
    const hour = hourOf(now);
    const thisHour = [
      { bucket: hour, function: "email.send", outcome: "submitted", count: 10 },
      { bucket: hour, function: "email.send", outcome: "started", count: 10, queueWaitMsTotal: 50 },
      { bucket: hour, function: "email.send", outcome: "complete", count: 8, durationMsTotal: 800 },
      { bucket: hour, function: "email.send", outcome: "failed", count: 2 },
      { bucket: hour, function: "report.build", outcome: "complete", count: 3, durationMsTotal: 30 },
    ] as const;
    await insertRollups(db, thisHour);
    // The same counts in this hour's first minute, which the last hour (minute buckets) reads.
    await insertRollups(db, thisHour, "job_rollups_minute");
    await insertJobs(
      db,
      SAMPLE_DURATIONS.map((duration, index) => ({
        function: "email.send",
        created_at: now - 30 * MINUTE_MS + index,
        duration_ms: duration,
      })),
    );
    const [stuck] = await insertJobs(db, [
      {
        function: "email.send",
        status: "active",
        created_at: now - 2 * MINUTE_MS,
        started_at: now - MINUTE_MS,
      },
      {
        function: "report.build",
        status: "active",
        created_at: now - 2 * MINUTE_MS,
        started_at: now - MINUTE_MS,
      },
    ]);
    stuckId = stuck?.id ?? "";
    const [oldest] = await insertJobs(db, [
      { function: "billing.charge", status: "queued", created_at: now - 5 * MINUTE_MS },
      { function: "billing.charge", status: "queued", created_at: now - 4 * MINUTE_MS },
      { function: "report.build", status: "queued", created_at: now - 2 * MINUTE_MS },
    ]);
    oldestQueuedId = oldest?.id ?? "";
  });

  afterAll(async () => {
    await worker.stop();
    await test.close();
  });

  const get = <T>(url: string): Promise<T> => getOk<T>(test.app, url);

  async function error(url: string, status: number): Promise<{ code: string; message: string }> {
    const response = await test.app.inject({ method: "GET", url });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(status);
    return errorOf(response);
  }

  it("lists every function by name in pages both ways, with last-24-hours figures", async () => {
    const { ids, pages } = await getAll<FunctionList>(test, "/api/v1/functions?limit=4", (page) =>
      page.items.map((item) => item.name),
    );
    expect(ids).toEqual(ALL_FUNCTIONS);
    expect(pages.length).toBe(2);
    for (const page of pages) functionListSchema.parse(page);
    const back = await get<FunctionList>(pages[1]?.page.prev ?? "");
    expect(back.items.map((item) => item.name)).toEqual(ALL_FUNCTIONS.slice(0, 4));
    expect(back.page.prev).toBeNull();

    const email = pages.flatMap((page) => page.items).find((item) => item.name === "email.send");
    expect(email).toMatchObject({ registered: true, kind: "task", paused: false, timeoutMs: 30_000 });
    expect(email?.metrics).toMatchObject({
      runs: 10,
      successRate: 0.8,
      avgDurationMs: 100,
      avgQueueWaitMs: 5,
      p95DurationMs: 190,
      p95SampleSize: 20,
    });
    const billing = pages.flatMap((page) => page.items).find((item) => item.name === "billing.charge");
    expect(billing).toMatchObject({ registered: false, kind: null, timeoutMs: null });
    expect(billing?.metrics).toMatchObject({
      runs: 0,
      successRate: null,
      avgDurationMs: null,
      p95DurationMs: null,
    });
  });

  it("shows one function's config, figures and queue, and 404s or 400s a bad name", async () => {
    const email = await get<FunctionDetail>("/api/v1/functions/email.send");
    functionDetailSchema.parse(email);
    expect(email.config).toMatchObject({
      concurrency: 5,
      rateLimit: { limit: 100, windowMs: 60_000, onEnqueue: null },
      options: { timeoutMs: 30_000, concurrency: 5 },
    });
    expect(email.metrics.p95DurationMs).toBe(190);

    await test.redis.hset(functionKeys(test.namespace, "report.build").config, "paused", "1");
    expect((await get<FunctionDetail>("/api/v1/functions/report.build")).paused).toBe(true);

    const billing = await get<FunctionDetail>("/api/v1/functions/billing.charge");
    expect(billing.queue).toMatchObject({
      function: "billing.charge",
      ready: 5,
      scheduled: 4,
      waiting: 1,
      active: 2,
      deadLettered: 3,
      deadLetteredLastHour: 2,
      oldestQueuedAt: new Date(now - 5 * MINUTE_MS).toISOString(),
    });
    expect(billing.queue.oldestQueuedAgeMs).toBeGreaterThanOrEqual(5 * MINUTE_MS);

    expect((await error("/api/v1/functions/nobody.home", 404)).code).toBe("not_found");
    expect((await error("/api/v1/functions/bad%20name", 400)).message).toContain("params name");
    expect((await error(`/api/v1/functions/${"f".repeat(129)}`, 400)).message).toContain("params name");
    expect((await error("/api/v1/functions?cursor=xyz", 400)).message).toContain("cursor");
  });

  it("lists workers by id in pages both ways, online while their heartbeat is fresh", async () => {
    const { ids, pages } = await getAll<WorkerList>(test, "/api/v1/workers?limit=2", (page) =>
      page.items.map((item) => item.id),
    );
    expect(ids).toEqual([...FAKE_WORKERS, workerId].sort());
    for (const page of pages) workerListSchema.parse(page);
    expect(pages[0]).toMatchObject({ total: 6, online: 1 });
    const back = await get<WorkerList>(pages.at(-1)?.page.prev ?? "");
    expect(back.items.map((item) => item.id)).toEqual(ids.slice(2, 4));

    const real = await get<WorkerSummary>(`/api/v1/workers/${workerId}`);
    expect(real).toMatchObject({
      id: workerId,
      name: "api-worker",
      concurrency: 4,
      functions: ["email.send", "report.build"],
      online: true,
    });
    const fake = await get<WorkerSummary>(`/api/v1/workers/${FAKE_WORKERS[0] ?? ""}`);
    expect(fake).toMatchObject({
      online: false,
      completed: 7,
      lastSeenAt: new Date(now - 10 * MINUTE_MS).toISOString(),
    });
    expect((await error("/api/v1/workers/gone-00000000", 404)).code).toBe("not_found");
    expect((await error("/api/v1/workers/bad%20id", 400)).message).toContain("params id");
  });

  it("answers queue depth per function from one pipeline, with totals and the history's oldest queued", async () => {
    const { ids, pages } = await getAll<QueueList>(test, "/api/v1/queues?limit=4", (page) =>
      page.items.map((item) => item.function),
    );
    expect(ids).toEqual(ALL_FUNCTIONS);
    for (const page of pages) queueListSchema.parse(page);
    expect(pages[0]?.totals).toEqual({ ready: 5, scheduled: 4, waiting: 1, active: 2, deadLettered: 3 });
    const billing = pages[0]?.items.find((item) => item.function === "billing.charge");
    expect(billing).toMatchObject({ ready: 5, deadLetteredLastHour: 2 });
    expect(billing?.oldestQueuedAt).toBe(new Date(now - 5 * MINUTE_MS).toISOString());
    const report = pages.flatMap((page) => page.items).find((item) => item.function === "report.build");
    expect(report?.oldestQueuedAt).toBe(new Date(now - 2 * MINUTE_MS).toISOString());
    const email = pages.flatMap((page) => page.items).find((item) => item.function === "email.send");
    expect(email).toMatchObject({ ready: 0, oldestQueuedAt: null, avgQueueWaitMs: 5 });
  });

  it("summarises the dashboard with runbook panels that link to the rows behind them", async () => {
    const summary = await get<DashboardSummary>("/api/v1/dashboard/summary");
    dashboardSummarySchema.parse(summary);
    expect(summary.lastHour.counts).toMatchObject({ submitted: 10, complete: 11, failed: 2 });
    expect(summary.lastHour.successRate).toBeCloseTo(11 / 13, 10);
    expect(summary.last24h.runs).toBe(13);
    expect(summary.workers).toEqual({ total: 6, online: 1 });
    expect(summary.queue).toEqual({ ready: 5, scheduled: 4, waiting: 1, active: 2, deadLettered: 3 });

    const { failingFunctions, stuckJobs, oldestQueued, growingDeadLetters } = summary.runbook;
    expect(failingFunctions.map((row) => row.function)).toEqual(["email.send"]);
    expect(failingFunctions[0]?.link.filter).toMatchObject({ function: "email.send", status: "failed" });
    expect(stuckJobs.map((row) => row.id)).toEqual([stuckId]);
    expect(stuckJobs[0]).toMatchObject({ function: "email.send", timeoutMs: 30_000 });
    expect(oldestQueued[0]?.id).toBe(oldestQueuedId);
    expect(growingDeadLetters).toEqual([
      {
        function: "billing.charge",
        deadLettered: 3,
        addedLastHour: 2,
        link: {
          filter: { function: "billing.charge" },
          href: "/api/v1/dead-letters?function=billing.charge",
        },
      },
    ]);

    // The links are working filters of the jobs list.
    const stuckList = await get<JobList>(stuckJobs[0]?.link.href ?? "");
    expect(stuckList.items.map((item) => item.id)).toContain(stuckId);
    const queuedList = await get<JobList>(oldestQueued[0]?.link.href ?? "");
    expect(queuedList.items.at(-1)?.id).toBe(oldestQueuedId);
    expect(
      (await test.app.inject({ method: "GET", url: failingFunctions[0]?.link.href ?? "" })).statusCode,
    ).toBe(200);
  });
});

const REDIS_ENDPOINTS = [
  "/api/v1/functions",
  "/api/v1/functions/email.send",
  "/api/v1/workers",
  "/api/v1/workers/some-worker-00000000",
  "/api/v1/queues",
  "/api/v1/dashboard/summary",
];
const DATABASE_ENDPOINTS = [
  "/api/v1/functions",
  "/api/v1/functions/email.send",
  "/api/v1/queues",
  "/api/v1/dashboard/summary",
];

describe.each(DIALECTS)("registry endpoints with a dependency down on %s", (dialect) => {
  let redisDown: OutageApp;
  let databaseDown: OutageApp;
  beforeAll(async () => {
    redisDown = await appWithRedisDown(dialect, "registry-redis-down");
    databaseDown = await appWithDatabaseDown(dialect, "registry-db-down");
    // A known function, so the routes get past the registry to the database.
    await databaseDown.deps.redis.sadd(databaseDown.deps.keys.functions, "email.send");
  });
  afterAll(async () => {
    await redisDown.close();
    await databaseDown.close();
  });

  it.each(REDIS_ENDPOINTS)("answers 503 for %s while Redis is down", async (url) => {
    expectUnavailable(await redisDown.app.inject({ method: "GET", url }), "redis", url);
  });

  it.each(DATABASE_ENDPOINTS)("answers 503 for %s while the database is down", async (url) => {
    expectUnavailable(await databaseDown.app.inject({ method: "GET", url }), "database", url);
  });
});
