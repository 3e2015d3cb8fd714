import { afterAll, describe, expect, it } from "vitest";
import { spawnFixture } from "./helpers/processes.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { readEvents, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("shutdown");
const redis = redisClient();
const producer = testWorker(namespace);
const sleepy = producer.task("sleepy", {}, () => 0);

afterAll(async () => {
  await producer.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("graceful shutdown", () => {
  it("on SIGTERM finishes or hands back every job, in flight and prefetched, and loses none", async () => {
    const spawned = spawnFixture("workers/sleepy-worker.ts", {
      UPNEXT_NAMESPACE: namespace,
      UPNEXT_CONCURRENCY: "2",
      UPNEXT_PREFETCH: "5",
      UPNEXT_SHUTDOWN_TIMEOUT: "1s",
    });
    // Two short jobs that finish within the grace period, one that cannot, and a backlog.
    const short = await sleepy.submitMany([{ ms: 300 }, { ms: 300 }]);
    const long = await sleepy.submit({ ms: 60_000 });
    const backlog = await sleepy.submitMany(Array.from({ length: 20 }, () => ({ ms: 300 })));
    const all = [...short, long, ...backlog];
    await eventually(
      async () => (await redis.llen(`${namespace}:test:runs`)) >= 2,
      `jobs running (${spawned.output()})`,
      60_000,
    );

    spawned.child.kill("SIGTERM");
    const exit = await spawned.exited;
    expect(exit.code).toBe(0);

    const statuses = await Promise.all(all.map(async (ref) => (await ref.status()).status));
    // Nothing is left held by the stopped worker: every job is complete or back in the queue.
    expect(statuses.filter((status) => status !== "complete" && status !== "queued")).toEqual([]);
    expect(statuses.filter((status) => status === "queued").length).toBeGreaterThanOrEqual(5);
    expect(await redis.zcard(`${namespace}:{sleepy}:leases`)).toBe(0);

    const stopped = await eventually(async () => {
      return (await readEvents(redis, namespace)).find((event) => event.type === "worker.stopped");
    }, "worker.stopped event");
    expect(stopped.data.handedBack).toBeGreaterThanOrEqual(5);

    // Another worker picks everything up: all 23 jobs complete, none lost.
    const second = testWorker(namespace, { concurrency: 10 });
    second.task("sleepy", {}, () => "second");
    await second.start();
    const results = await Promise.all(all.map((ref) => ref.result({ timeout: "20s" })));
    expect(results).toHaveLength(23);
    expect((await long.status()).attempt).toBe(1);
    await second.stop();
  }, 120_000);
});
