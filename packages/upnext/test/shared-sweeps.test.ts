import { afterAll, describe, expect, it } from "vitest";
import { spawnFixture, type Spawned } from "./helpers/processes.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { jobEvents, testConfig, testWorker } from "./helpers/worker.js";

// Many workers share the sweeps (two per function, docs/decisions/0016): a killed worker's job is
// still recovered, by one of the workers that sweep its function.
const namespace = testNamespace("shared-sweeps");
const redis = redisClient();
const producer = testWorker(namespace);
const sleepy = producer.task("sleepy", { maxDeliveries: 3 }, () => 0);
const config = testConfig({ UPNEXT_LEASE_DURATION: "1s" });
const bystanders = Array.from({ length: 4 }, (_, i) => {
  const worker = testWorker(namespace, { name: `bystander-${i}` }, config);
  for (let f = 0; f < 8; f++) worker.task(`other-${f}`, {}, () => null);
  return worker;
});
const children: Spawned[] = [];

const ENV = {
  UPNEXT_NAMESPACE: namespace,
  UPNEXT_LEASE_DURATION: "1s",
  UPNEXT_PROMOTE_INTERVAL: "50ms",
  UPNEXT_HEARTBEAT_INTERVAL: "1s",
  UPNEXT_CONCURRENCY: "1",
  UPNEXT_PREFETCH: "0",
};

async function startSleepy(extra: Record<string, string> = {}): Promise<Spawned> {
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

afterAll(async () => {
  for (const spawned of children) spawned.child.kill("SIGKILL");
  await Promise.all(bystanders.map((worker) => worker.stop()));
  await producer.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("sweeps shared by many workers", () => {
  it("recovers the job of a SIGKILLed worker through one of the workers that sweep its function", async () => {
    for (const worker of bystanders) await worker.start();
    const victim = await startSleepy();
    const ref = await sleepy.submit({ ms: 60_000 });
    await eventually(
      async () => (await redis.lrange(`${namespace}:test:runs`, 0, -1)).some((run) => run.includes(ref.id)),
      "the victim runs the job",
    );
    // Five live workers: each function is swept by two of them, not by all.
    expect(await redis.zcard(`${namespace}:workers`)).toBe(5);
    victim.child.kill("SIGKILL");
    await victim.exited;
    // Nobody else serves `sleepy`: the job waits in the queue once a sweeper recovered it.
    await eventually(async () => (await ref.status()).status === "queued", "the job re-queued", 30_000);
    const recoveredBy = (await jobEvents(redis, namespace, ref.id)).find(
      (event) => event.type === "queued" && "from" in event.data && event.data.from === "recovered",
    );
    const bystanderIds = bystanders.map((worker) => worker.metrics().workerId);
    expect(bystanderIds).toContain(recoveredBy?.type === "queued" ? recoveredBy.workerId : undefined);
    await startSleepy({ SLEEPY_FAST: "1" });
    await ref.result({ timeout: "60s" });
    expect((await ref.status()).deliveries).toBe(2);
  }, 120_000);
});
