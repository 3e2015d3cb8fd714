/**
 * A minute of Redis outage under a progress-heavy load keeps a worker's memory bounded: the
 * status buffer drops progress and log events oldest first at its bound, instead of queueing
 * them without limit, and no job state is lost (every job completes once Redis answers again).
 * Redis is frozen (SIGSTOP), not killed, so its data survives the outage.
 */
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { PrivateRedis } from "./helpers/private-redis.js";
import { spawnFixture, type Spawned } from "./helpers/processes.js";
import { eventually, testNamespace } from "./helpers/redis.js";
import { testConfig, testWorker } from "./helpers/worker.js";

const OUTAGE_MS = 60_000;
/** How much the worker's RSS may grow over the outage; unbounded queueing grows it by far more. */
const RSS_GROWTH_BOUND = 100 * 1024 * 1024;

interface Sample {
  readonly rss: number;
  readonly active: number;
  readonly buffered: number;
  readonly bufferedBytes: number;
  readonly droppedNonLifecycle: number;
  readonly blockedPublishers: number;
}

function samples(spawned: Spawned): Sample[] {
  return spawned
    .output()
    .split("\n")
    .filter((line) => line.startsWith('{"sample":true'))
    .map((line) => JSON.parse(line) as Sample);
}

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});

describe("status buffer bound", () => {
  it("keeps RSS bounded through 60 s of Redis outage under progress-heavy load, and loses no job", async () => {
    const server = await PrivateRedis.start();
    cleanup.push(() => server.stop());
    const namespace = testNamespace("memory-bound");
    const spawned = spawnFixture("workers/chatty-worker.ts", {
      UPNEXT_REDIS_URL: server.url,
      UPNEXT_NAMESPACE: namespace,
      // Longer than the outage: the jobs' leases must not expire while Redis is frozen.
      UPNEXT_LEASE_DURATION: "5m",
    });
    cleanup.push(async () => {
      spawned.child.kill("SIGKILL");
      await spawned.exited;
    });
    const producer = testWorker(namespace, {}, testConfig({ UPNEXT_REDIS_URL: server.url }));
    cleanup.push(() => producer.stop());
    const chatty = producer.task("chatty", {}, () => 0);
    const redis = new Redis(server.url);
    redis.on("error", () => undefined);
    cleanup.push(() => {
      redis.disconnect();
      return Promise.resolve();
    });

    const refs = await chatty.submitMany([null, null, null, null]);
    await eventually(
      () => samples(spawned).some((sample) => sample.active === 4),
      `four jobs running; output:\n${spawned.output().slice(-2_000)}`,
      60_000,
    );
    // Warmed up with Redis answering; the baseline is the last sample before the outage.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const baseline = samples(spawned).at(-1);
    if (!baseline) throw new Error("no sample");

    server.pause();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    const during = samples(spawned).filter((sample) => sample.rss > 0);
    const peak = Math.max(...during.map((sample) => sample.rss));
    server.resume();
    const last = during.at(-1);

    console.info(
      `RSS: baseline ${(baseline.rss / 1048576).toFixed(1)} MB, peak during the outage ${(peak / 1048576).toFixed(1)} MB; ` +
        `status buffer at the end: ${last?.buffered} events, ${last?.bufferedBytes} bytes, ${last?.droppedNonLifecycle} dropped`,
    );
    expect(peak - baseline.rss).toBeLessThan(RSS_GROWTH_BOUND);
    expect(last?.droppedNonLifecycle).toBeGreaterThan(0);
    expect(last?.bufferedBytes).toBeLessThanOrEqual(64_000_000);

    // No job state lost: told to stop, every job completes and its result is stored.
    await redis.set(`${namespace}:test:stop`, "1");
    const results = await Promise.all(refs.map((ref) => ref.result({ timeout: "60s" })));
    for (const rows of results) expect(rows).toBeGreaterThan(0);
  }, 180_000);
});
