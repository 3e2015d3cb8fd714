/**
 * End to end: a real upnext Worker runs jobs that complete, fail, retry, are cancelled and start
 * children; the ingester turns its status stream into history rows with their events and logs.
 */
import { TaskCancelledError, TaskFailedError, loadConfig } from "@upnext/core";
import { Worker } from "upnext";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Ingester, startIngester } from "../src/ingest/ingester.js";
import type { DialectName } from "../src/store/database.js";
import { DIALECTS } from "./helpers/database.js";
import { type IngestHarness, REDIS_URL, createIngestHarness, eventually } from "./helpers/ingest.js";

describe.each(DIALECTS)("history of a real worker's jobs on %s", (dialect: DialectName) => {
  let harness: IngestHarness;
  let ingester: Ingester;
  let worker: Worker;

  beforeAll(async () => {
    harness = await createIngestHarness(dialect, `ingest_worker_${dialect}`);
    ingester = startIngester(harness.deps, { blockMs: 100 });
    // The group starts at `$`: it must exist before the worker writes anything.
    await eventually(
      async () =>
        ((await harness.redis.xinfo("GROUPS", harness.keys.events).catch(() => [])) as unknown[]).length ===
        1,
      "the consumer group",
    );
    const config = loadConfig(
      {
        UPNEXT_REDIS_URL: REDIS_URL,
        UPNEXT_LOG_LEVEL: "silent",
        UPNEXT_PROMOTE_INTERVAL: "50ms",
        UPNEXT_HEARTBEAT_INTERVAL: "1s",
      },
      () => undefined,
    );
    worker = new Worker({
      name: "e2e",
      namespace: harness.namespace,
      handleSignals: false,
      concurrency: 8,
      config,
    });
  });
  afterAll(async () => {
    await worker.stop();
    await ingester.stop();
    await harness.close();
  });

  it("ends complete, failed and cancelled jobs with their events, logs, retries and lineage", async () => {
    const report = worker.task(
      "report",
      { progress: { minDelta: 0, minInterval: "0ms" } },
      (input: { rows: number }, ctx) => {
        ctx.progress(0.5, "half way");
        ctx.log("info", `processed ${input.rows} rows`);
        return { rows: input.rows };
      },
    );
    const explode = worker.task("explode", {}, (_input: null) => {
      throw new Error("kaboom");
    });
    const flaky = worker.task(
      "flaky",
      { retries: 1, backoff: { type: "fixed", delay: "10ms" } },
      (_input: null, ctx) => {
        if (ctx.attempt === 1) throw new Error("first attempt fails");
        return "second time lucky";
      },
    );
    const waits = worker.task("waits", {}, async (_input: null, ctx) => {
      await new Promise((resolve) => {
        ctx.signal.addEventListener("abort", resolve);
      });
      return "stopped";
    });
    const parent = worker.task("parent", {}, async (_input: null) => {
      const child = await report.submit({ rows: 3 });
      return child.result();
    });
    await worker.start();

    const done = await report.submit({ rows: 10 }, { tags: { tenant: "acme" } });
    const boom = await explode.submit(null);
    const retried = await flaky.submit(null);
    const blocked = await waits.submit(null);
    const tree = await parent.submit(null);

    expect(await done.result()).toEqual({ rows: 10 });
    await expect(boom.result()).rejects.toBeInstanceOf(TaskFailedError);
    expect(await retried.result()).toBe("second time lucky");
    expect(await tree.result()).toEqual({ rows: 3 });
    await eventually(async () => (await blocked.status()).status === "active", "the waiting job to start");
    expect(await blocked.cancel("test is over")).toBe(true);
    await expect(blocked.result()).rejects.toBeInstanceOf(TaskCancelledError);

    const { db } = harness.database.database;
    const row = (id: string) => db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
    await eventually(
      async () => (await harness.jobs()).length === 6 && (await row(blocked.id))?.status === "cancelled",
      "six rows",
    );
    await ingester.drain();

    expect(await row(done.id)).toMatchObject({
      function: "report",
      status: "complete",
      attempt: 1,
      max_attempts: 1,
      progress: 1,
      result: JSON.stringify({ rows: 10 }),
      input: JSON.stringify({ rows: 10 }),
      tags: JSON.stringify({ tenant: "acme" }),
    });
    expect(await row(boom.id)).toMatchObject({
      status: "failed",
      failure_reason: "exception",
      error_message: "kaboom",
    });
    expect(await row(retried.id)).toMatchObject({ status: "complete", attempt: 2, max_attempts: 2 });
    expect(await row(blocked.id)).toMatchObject({
      status: "cancelled",
      failure_reason: "cancelled",
      error_message: "test is over",
    });
    const children = await db.selectFrom("jobs").selectAll().where("parent_id", "=", tree.id).execute();
    expect(children).toHaveLength(1);
    expect(children[0]).toMatchObject({ function: "report", status: "complete", root_id: tree.id });

    const events = await db
      .selectFrom("job_events")
      .select(["type", "data"])
      .where("job_id", "=", done.id)
      .orderBy("at")
      .orderBy("id")
      .execute();
    expect(events.map((event) => event.type)).toEqual(["queued", "started", "progress", "log", "completed"]);
    expect(JSON.parse(events[3]?.data ?? "{}")).toMatchObject({
      level: "info",
      message: "processed 10 rows",
    });
    const failedEvents = await db
      .selectFrom("job_events")
      .select("type")
      .where("job_id", "=", boom.id)
      .execute();
    expect(failedEvents.map((event) => event.type).sort()).toEqual([
      "dead-lettered",
      "failed",
      "queued",
      "started",
    ]);

    const rollups = await db
      .selectFrom("job_rollups")
      .select(["function", "outcome", (eb) => eb.fn.sum<number>("count").as("count")])
      .groupBy(["function", "outcome"])
      .execute();
    const counts = Object.fromEntries(
      rollups.map((entry) => [`${entry.function}:${entry.outcome}`, entry.count]),
    );
    expect(counts).toMatchObject({
      "report:submitted": 2,
      "report:complete": 2,
      "explode:failed": 1,
      "flaky:started": 2,
      "flaky:retried": 1,
      "flaky:complete": 1,
      "waits:cancelled": 1,
    });
    expect(await harness.redis.xlen(harness.keys.eventsDeadLetter)).toBe(0);
  });
});
