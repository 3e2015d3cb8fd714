/**
 * The last coalesced progress value is not lost: it is sent once `minInterval` has passed (while
 * the job keeps running) and when the job ends, before the end's events.
 */
import { afterAll, describe, expect, it } from "vitest";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { deferred, jobEvents, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("progress-flush");
const redis = redisClient();
const worker = testWorker(namespace, { concurrency: 4 });
const release = deferred();

const slow = worker.task(
  "slow",
  { progress: { minDelta: 0.1, minInterval: "300ms" } },
  async (_input: null, ctx) => {
    ctx.progress(0.5, "rows");
    ctx.progress(0.53, "rows"); // coalesced: less than minDelta, within minInterval
    await release.promise;
    return "done";
  },
);

const failing = worker.task(
  "failing",
  { retries: 0, progress: { minDelta: 0.1, minInterval: "1h" } },
  (_input: null, ctx) => {
    ctx.progress({ current: 40, total: 100 });
    ctx.progress({ current: 45, total: 100 }); // coalesced, and no timer would send it for an hour
    throw new Error("broke at row 45");
  },
);

afterAll(async () => {
  release.resolve();
  await worker.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

function progressOf(events: Awaited<ReturnType<typeof jobEvents>>): unknown[] {
  return events.flatMap((event) => (event.type === "progress" ? [event.data] : []));
}

describe("coalesced progress", () => {
  it("is sent after minInterval while the job keeps running", async () => {
    await worker.start();
    const ref = await slow.submit(null);
    const progress = await eventually(async () => {
      const seen = progressOf(await jobEvents(redis, namespace, ref.id));
      return seen.length === 2 ? seen : undefined;
    }, "the coalesced progress update on the status stream");
    expect(progress).toEqual([
      { progress: 0.5, message: "rows" },
      { progress: 0.53, message: "rows" },
    ]);
    expect((await ref.status()).status).toBe("active");
    expect(await redis.hget(`${namespace}:{slow}:job:${ref.id}`, "progress")).toBe("0.53");
    release.resolve();
    expect(await ref.result({ timeout: "5s" })).toBe("done");
  });

  it("is sent when the job ends, before the end's events", async () => {
    const ref = await failing.submit(null);
    await expect(ref.result({ timeout: "5s" })).rejects.toThrow(/broke at row 45/);
    const events = await eventually(async () => {
      const all = await jobEvents(redis, namespace, ref.id);
      return all.some((event) => event.type === "failed") ? all : undefined;
    }, "the failed event");
    expect(progressOf(events)).toEqual([
      { progress: 0.4, current: 40, total: 100 },
      { progress: 0.45, current: 45, total: 100 },
    ]);
    const types = events.map((event) => event.type);
    expect(types.lastIndexOf("progress")).toBeLessThan(types.indexOf("failed"));
  });
});
