import { afterAll, describe, expect, it } from "vitest";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { jobEvents, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("context");
const redis = redisClient();
const worker = testWorker(namespace, { concurrency: 4 });

const progressTask = worker.task(
  "progress",
  { progress: { minDelta: 0.25, minInterval: "1h" } },
  async (_input: null, ctx) => {
    ctx.progress(0.1);
    ctx.progress(0.2); // coalesced: moved less than minDelta
    ctx.progress(0.5);
    ctx.progress(0.4); // regression: rejected
    ctx.progress({ current: 3, total: 4 }, "three of four");
    expect(() => {
      ctx.progress(1.5);
    }).toThrow(/Invalid progress/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    return (await redis.hget(`${namespace}:{progress}:job:${ctx.jobId}`, "progress")) ?? "";
  },
);

const seen: unknown[] = [];
const resumable = worker.task(
  "resumable",
  { retries: 2, backoff: { type: "fixed", delay: "10ms" }, checkpointVersion: 2 },
  async (input: { items: number }, ctx) => {
    const saved = await ctx.lastCheckpoint<{ done: number }>();
    seen.push(saved);
    const start = saved?.done ?? 0;
    for (let done = start + 1; done <= input.items; done++) {
      await ctx.checkpoint({ done });
      if (ctx.attempt === 1 && done === 2) throw new Error("crash after item 2");
    }
    return { resumedFrom: start };
  },
);

const migrated: [unknown, number][] = [];
const migrating = worker.task(
  "migrating",
  {
    checkpointVersion: 3,
    migrateCheckpoint: (state, fromVersion) => {
      migrated.push([state, fromVersion]);
      return { count: (state as { n: number }).n };
    },
  },
  async (_input: null, ctx) => ctx.lastCheckpoint(),
);

const unmigratable = worker.task(
  "unmigratable",
  { checkpointVersion: 2 },
  async (_input: null, ctx) => (await ctx.lastCheckpoint()) ?? "no usable checkpoint",
);

const reporter = worker.task("reporter", {}, (_input: null, ctx) => {
  ctx.tags.customer = "acme";
  ctx.log("info", "charging card", { amount: 42 });
  ctx.recordMetric("charge.amount", 42, { currency: "EUR" });
  return { metadata: ctx.metadata, maxAttempts: ctx.maxAttempts, fn: ctx.function };
});

afterAll(async () => {
  await worker.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

/** Seeds a job's checkpoint as an older deploy would have written it. */
async function seedCheckpoint(fn: string, jobId: string, state: unknown, version: number): Promise<void> {
  await redis.hset(
    `${namespace}:{${fn}}:job:${jobId}`,
    "checkpoint",
    JSON.stringify(state),
    "checkpointVersion",
    String(version),
  );
}

describe("context", () => {
  it("coalesces progress, rejects regressions and stores the last value", async () => {
    await worker.start();
    const ref = await progressTask.submit(null);
    expect(await ref.result({ timeout: "5s" })).toBe("0.75");
    const events = await eventually(async () => {
      const all = await jobEvents(redis, namespace, ref.id);
      return all.some((event) => event.type === "completed") ? all : undefined;
    }, "events");
    const progress = events.flatMap((event) => (event.type === "progress" ? [event.data] : []));
    expect(progress).toEqual([
      { progress: 0.1 },
      { progress: 0.5 },
      { progress: 0.75, current: 3, total: 4, message: "three of four" },
    ]);
  });

  it("keeps checkpoints for the next attempt", async () => {
    const ref = await resumable.submit({ items: 4 });
    expect(await ref.result({ timeout: "5s" })).toEqual({ resumedFrom: 2 });
    expect(seen).toEqual([undefined, { done: 2 }]);
    const types = (await jobEvents(redis, namespace, ref.id)).map((event) => event.type);
    expect(types.filter((type) => type === "checkpoint").length).toBeGreaterThanOrEqual(4);
  });

  it("migrates a checkpoint written by another version", async () => {
    const ref = await migrating.submit(null, { delay: "300ms" });
    await seedCheckpoint("migrating", ref.id, { n: 7 }, 1);
    expect(await ref.result({ timeout: "5s" })).toEqual({ count: 7 });
    expect(migrated).toEqual([[{ n: 7 }, 1]]);
  });

  it("ignores a checkpoint of another version when the task cannot migrate it", async () => {
    const ref = await unmigratable.submit(null, { delay: "300ms" });
    await seedCheckpoint("unmigratable", ref.id, { old: true }, 1);
    expect(await ref.result({ timeout: "5s" })).toBe("no usable checkpoint");
  });

  it("persists logs and metrics as events carrying the job's tags", async () => {
    const ref = await reporter.submit(null, { tags: { region: "eu" }, metadata: { source: "test" } });
    expect(await ref.result({ timeout: "5s" })).toEqual({
      metadata: { source: "test" },
      maxAttempts: 1,
      fn: "reporter",
    });
    const events = await eventually(async () => {
      const all = await jobEvents(redis, namespace, ref.id);
      return all.some((event) => event.type === "completed") ? all : undefined;
    }, "events");
    const log = events.find((event) => event.type === "log");
    expect(log?.data).toEqual({ level: "info", message: "charging card", fields: { amount: 42 } });
    expect(log?.tags).toEqual({ region: "eu", customer: "acme" });
    const metric = events.find((event) => event.type === "metric");
    expect(metric?.data).toEqual({ name: "charge.amount", value: 42, labels: { currency: "EUR" } });
    expect(events.find((event) => event.type === "queued")?.tags).toEqual({ region: "eu" });
  });
});
