/**
 * Redis going away under the ingester (a redis-server of the test's own): killed and restarted
 * empty, and connections dropped while data stays. The ingester reports the outage to the
 * breaker, never crashes, and ingests everything once Redis is back.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Ingester, startIngester } from "../src/ingest/ingester.js";
import { INGEST_GROUP } from "../src/ingest/stream-consumer.js";
import type { DialectName } from "../src/store/database.js";
import { DIALECTS } from "./helpers/database.js";
import { type IngestHarness, createIngestHarness, eventually, ready } from "./helpers/ingest.js";
import { PrivateRedis } from "../../upnext/test/helpers/private-redis.js";
import { type JobFacts, appendEvents, completed, created, started } from "./helpers/status-events.js";

let counter = 0;
function lifecycle(label: string): { facts: JobFacts; events: ReturnType<typeof created>[] } {
  const facts = { jobId: `${label}-${process.pid}-${++counter}`, function: "outage" };
  return { facts, events: [created(facts, 1_000), started(facts, 1, 1_001), completed(facts, 1, 1_002)] };
}

describe.each(DIALECTS)("ingest through a Redis outage on %s", (dialect: DialectName) => {
  let server: PrivateRedis;
  let harness: IngestHarness;
  let ingester: Ingester;

  beforeAll(async () => {
    server = await PrivateRedis.start();
    harness = await createIngestHarness(dialect, `ingest_outage_${dialect}`, { redisUrl: server.url });
    ingester = startIngester(harness.deps, { start: "0", blockMs: 100, maintenanceIntervalMs: 200 });
  });
  afterAll(async () => {
    await ingester.stop();
    await harness.close();
    await server.stop();
  });

  const statuses = async (): Promise<Record<string, string>> =>
    Object.fromEntries((await harness.jobs()).map((row) => [row.id, row.status]));
  const drained = () =>
    eventually(
      () =>
        ingester.drain(2_000).then(
          () => true,
          () => false,
        ),
      "ingest to catch up",
      30_000,
    );

  it("waits out a Redis that is killed and restarted empty, then ingests what is written after", async () => {
    const before = [lifecycle("before"), lifecycle("before")];
    await appendEvents(
      harness.redis,
      harness.keys.events,
      before.flatMap((job) => job.events),
    );
    await ingester.drain();

    await server.stop();
    await eventually(() => Promise.resolve(harness.deps.redisBreaker.isOpen), "the Redis breaker to open");
    // Longer than the ingester's backoff grows to: it keeps retrying without crashing.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await server.restart();
    await ready(harness.redis);
    const after = [lifecycle("after"), lifecycle("after")];
    await appendEvents(
      harness.redis,
      harness.keys.events,
      after.flatMap((job) => job.events),
    );
    await drained();

    const expected = Object.fromEntries([...before, ...after].map((job) => [job.facts.jobId, "complete"]));
    expect(await statuses()).toEqual(expected);
    expect(ingester.counters().stored).toBe(12);
  });

  it("loses nothing when its connections are dropped in the middle of a stream of events", async () => {
    const admin = new Redis(server.url, { maxRetriesPerRequest: 3 });
    const jobs = Array.from({ length: 200 }, () => lifecycle("dropped"));
    const events = jobs.flatMap((job) => job.events);
    for (let index = 0; index < events.length; index += 60) {
      await eventually(
        () =>
          appendEvents(harness.redis, harness.keys.events, events.slice(index, index + 60)).then(
            () => true,
            () => false,
          ),
        "an append",
      );
      // Every client but this one: the ingester's blocking connection and the server's.
      if (index % 180 === 0) await admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
    }
    await drained();
    const rows = await statuses();
    for (const job of jobs) expect(rows[job.facts.jobId]).toBe("complete");
    const pending = await admin.xpending(harness.keys.events, INGEST_GROUP);
    expect(pending[0]).toBe(0);
    admin.disconnect();
  });
});
