import { afterAll, describe, expect, it } from "vitest";
import { spawnFixture, type Spawned } from "./helpers/processes.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { jobEvents, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("crash");
const redis = redisClient();
const producer = testWorker(namespace);
const sleepy = producer.task("sleepy", { maxDeliveries: 2 }, () => 0);
const children: Spawned[] = [];

const ENV = {
  UPNEXT_NAMESPACE: namespace,
  UPNEXT_LEASE_DURATION: "1s",
  UPNEXT_PROMOTE_INTERVAL: "50ms",
  UPNEXT_CONCURRENCY: "1",
  UPNEXT_PREFETCH: "0",
};

async function startWorker(extra: Record<string, string> = {}): Promise<Spawned> {
  const before = await redis.llen(`${namespace}:test:ready`);
  const spawned = spawnFixture("workers/sleepy-worker.ts", { ...ENV, ...extra });
  children.push(spawned);
  await eventually(
    async () => (await redis.llen(`${namespace}:test:ready`)) > before,
    `worker ready (output: ${spawned.output()})`,
    60_000,
  );
  return spawned;
}

async function runsOf(jobId: string): Promise<string[]> {
  return (await redis.lrange(`${namespace}:test:runs`, 0, -1)).filter((run) => run.split(":")[1] === jobId);
}

afterAll(async () => {
  for (const spawned of children) spawned.child.kill("SIGKILL");
  await producer.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("crash recovery", () => {
  it("re-runs the job of a worker killed with SIGKILL on another worker", async () => {
    const first = await startWorker();
    const ref = await sleepy.submit({ ms: 60_000 });
    await eventually(async () => (await runsOf(ref.id)).length === 1, "first run");
    first.child.kill("SIGKILL");
    await first.exited;
    const second = await startWorker({ SLEEPY_FAST: "1" });
    expect(await ref.result({ timeout: "60s" })).toBe(second.child.pid);
    const runs = await runsOf(ref.id);
    expect(runs.map((run) => run.split(":")[0])).toEqual([String(first.child.pid), String(second.child.pid)]);
    // A re-delivery continues the same attempt: a crash does not use up a retry.
    expect(runs.map((run) => run.split(":")[2])).toEqual(["1", "1"]);
    const snapshot = await ref.status();
    expect(snapshot.deliveries).toBe(2);
    const types = (await jobEvents(redis, namespace, ref.id)).map((event) => event.type);
    expect(types).toContain("completed");
    expect(types.filter((type) => type === "queued")).toHaveLength(2); // submitted, then recovered
    second.child.kill("SIGKILL");
    await second.exited;
  }, 120_000);

  it("dead-letters a job lost maxDeliveries times with reason 'lost'", async () => {
    const ref = await sleepy.submit({ ms: 60_000 });
    for (let delivery = 1; delivery <= 2; delivery++) {
      const spawned = await startWorker();
      await eventually(
        async () => (await runsOf(ref.id)).length === delivery,
        `delivery ${delivery}`,
        60_000,
      );
      spawned.child.kill("SIGKILL");
      await spawned.exited;
    }
    // A third worker only recovers: the job has been delivered twice, its limit.
    await startWorker({ SLEEPY_FAST: "1" });
    const snapshot = await eventually(
      async () => {
        const current = await ref.status();
        return current.status === "failed" ? current : undefined;
      },
      "job failed as lost",
      60_000,
    );
    expect(snapshot.failureReason).toBe("lost");
    expect(await runsOf(ref.id)).toHaveLength(2);
    expect(await redis.zscore(`${namespace}:{sleepy}:dead`, ref.id)).not.toBeNull();
    const types = await eventually(async () => {
      const all = (await jobEvents(redis, namespace, ref.id)).map((event) => event.type);
      return all.includes("dead-lettered") ? all : undefined;
    }, "dead-lettered event");
    expect(types).toContain("failed");
  }, 120_000);
});
