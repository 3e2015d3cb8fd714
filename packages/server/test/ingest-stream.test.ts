/**
 * The ingester against the real status stream and both databases: where a first start begins,
 * resuming, the dead-letter stream for invalid and poison events, a crash before the ack.
 */
import { STATUS_EVENT_FIELD } from "@upnext/core";
import Fastify from "fastify";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Ingester, startIngester } from "../src/ingest/ingester.js";
import { INGEST_GROUP, StatusStreamConsumer } from "../src/ingest/stream-consumer.js";
import { createServerMetrics } from "../src/observability/server-metrics.js";
import { metricsRoutes } from "../src/routes/metrics-routes.js";
import { writeBatch } from "../src/ingest/history-writer.js";
import type { DialectName } from "../src/store/database.js";
import { DIALECTS } from "./helpers/database.js";
import { type IngestHarness, createIngestHarness, streamRecords } from "./helpers/ingest.js";
import { appendEvents, completed, created, started } from "./helpers/status-events.js";

const FAST = { blockMs: 100, maintenanceIntervalMs: 100, processingRetryDelayMs: 50 } as const;
let counter = 0;
const job = (label: string) => ({ jobId: `${label}-${process.pid}-${++counter}`, function: "stream-test" });

describe.each(DIALECTS)("the ingester on %s", (dialect: DialectName) => {
  let harness: IngestHarness;
  const running: Ingester[] = [];
  const start = (options: Parameters<typeof startIngester>[1] = {}): Ingester => {
    const ingester = startIngester(harness.deps, { ...FAST, ...options });
    running.push(ingester);
    return ingester;
  };

  beforeEach(async () => {
    harness = await createIngestHarness(dialect, `ingest_stream_${dialect}`);
  });
  afterEach(async () => {
    for (const ingester of running.splice(0)) await ingester.stop();
    await harness.close();
  });

  const ids = async () => (await harness.jobs()).map((row) => row.id).sort();

  it("starts at the end of the stream on a first start, misses nothing after it, and resumes after a restart", async () => {
    const old = job("old");
    await appendEvents(harness.redis, harness.keys.events, [created(old, 1_000)]);
    const first = start();
    // The group exists once the ingester has started reading.
    await expect
      .poll(async () => (await harness.redis.xinfo("GROUPS", harness.keys.events)) as unknown[], {
        timeout: 5_000,
      })
      .toHaveLength(1);
    const fresh = job("fresh");
    await appendEvents(harness.redis, harness.keys.events, [created(fresh, 2_000), started(fresh, 1, 2_001)]);
    await first.drain();
    expect(await ids()).toEqual([fresh.jobId]);
    await first.stop();

    // Written while no ingester ran: the next start resumes from the group, not from `$`.
    const whileDown = job("down");
    await appendEvents(harness.redis, harness.keys.events, [created(whileDown, 3_000)]);
    const second = start();
    await second.drain();
    expect(await ids()).toEqual([whileDown.jobId, fresh.jobId].sort());
    // The stopped ingester removed its own consumer, as it owned nothing.
    const consumers = (await harness.redis.xinfo(
      "CONSUMERS",
      harness.keys.events,
      INGEST_GROUP,
    )) as unknown[][];
    expect(consumers.map((fields) => fields[1])).toEqual([second.consumer]);
  });

  it("starts a new group at a configured stream id", async () => {
    const [a, b, c] = [job("a"), job("b"), job("c")];
    const entryIds = await appendEvents(harness.redis, harness.keys.events, [
      created(a, 1_000),
      created(b, 1_001),
      created(c, 1_002),
    ]);
    const ingester = start({ start: entryIds[0] ?? "0" });
    await ingester.drain();
    expect(await ids()).toEqual([b.jobId, c.jobId].sort());
  });

  it("moves invalid entries to the dead-letter stream with the reason, the entry id and the payload", async () => {
    const metrics = createServerMetrics();
    const ingester = start({ start: "0", metrics });
    const good = job("good");
    const bad = [
      ["e", "{not json"],
      ["x", "no e field"],
      ["e", JSON.stringify({ type: "teleported", jobId: "j" })],
      ["e", JSON.stringify({ ...created(job("bad-id"), 5), jobId: "bad id with spaces" })],
    ];
    const badIds: string[] = [];
    for (const fields of bad)
      badIds.push(String(await harness.redis.xadd(harness.keys.events, "*", ...fields)));
    await appendEvents(harness.redis, harness.keys.events, [created(good, 10)]);
    await ingester.drain();

    expect(await ids()).toEqual([good.jobId]);
    const dead = await streamRecords(harness.redis, harness.keys.eventsDeadLetter);
    expect(dead.map((entry) => [entry.fields.entryId, entry.fields.reason])).toEqual([
      [badIds[0], "invalid_json"],
      [badIds[1], "missing_field"],
      [badIds[2], "invalid_event"],
      [badIds[3], "invalid_event"],
    ]);
    expect(dead[0]?.fields.payload).toBe("{not json");
    expect(dead[1]?.fields.payload).toBe(JSON.stringify(["x", "no e field"]));
    expect(dead[3]?.fields.error).toMatch(/jobId: "bad id with spaces" is not a job id/);
    const pending = await harness.redis.xpending(harness.keys.events, INGEST_GROUP);
    expect(pending[0]).toBe(0);

    // The same figures on GET /metrics.
    const app = Fastify();
    app.register(metricsRoutes(metrics));
    const response = await app.inject({ method: "GET", url: "/metrics" });
    await app.close();
    expect(response.headers["content-type"]).toMatch(/^text\/plain/);
    expect(response.body).toContain('upnext_server_ingest_invalid_events_total{reason="invalid_event"} 2');
    expect(response.body).toContain('upnext_server_ingest_dead_lettered_total{reason="invalid_json"} 1');
    expect(response.body).toContain('upnext_server_ingest_events_total{result="stored"} 1');
  });

  it("retries an event whose processing fails, then dead-letters it after ingestMaxAttempts deliveries, without holding back its batch", async () => {
    // A real database error for one job id: a trigger that refuses its events.
    const { db } = harness.database.database;
    if (dialect === "sqlite") {
      await sql`create trigger refuse_poison before insert on job_events when new.job_id like 'poison-%'
        begin select raise(abort, 'poison event refused by trigger'); end`.execute(db);
    } else {
      await sql`create function refuse_poison() returns trigger language plpgsql as $$
        begin if new.job_id like 'poison-%' then raise exception 'poison event refused by trigger'; end if;
        return new; end $$`.execute(db);
      await sql`create trigger refuse_poison before insert on job_events
        for each row execute function refuse_poison()`.execute(db);
    }
    const metrics = createServerMetrics();
    const ingester = start({ start: "0", maxAttempts: 3, metrics });
    const [before, poison, after] = [job("before"), job("poison"), job("after")];
    const entryIds = await appendEvents(harness.redis, harness.keys.events, [
      created(before, 1),
      created(poison, 2),
      created(after, 3),
    ]);
    await ingester.drain();

    expect(await ids()).toEqual([after.jobId, before.jobId].sort());
    const dead = await streamRecords(harness.redis, harness.keys.eventsDeadLetter);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.fields).toMatchObject({ entryId: entryIds[1], reason: "processing_failed" });
    expect(dead[0]?.fields.error).toMatch(/poison event refused by trigger.*delivery 3 of 3/);
    expect(JSON.parse(dead[0]?.fields.payload ?? "null")).toMatchObject({ jobId: poison.jobId });
    expect(
      await metrics.registry.getSingleMetricAsString("upnext_server_ingest_dead_lettered_total"),
    ).toContain('reason="processing_failed"} 1');
  });

  it("re-applies entries a crashed ingester committed but never acknowledged, changing nothing twice", async () => {
    const jobs = [job("crash"), job("crash"), job("crash")];
    const events = jobs.flatMap((facts, index) => [
      created(facts, 100 + index),
      started(facts, 1, 200 + index),
      completed(facts, 1, 300 + index),
    ]);
    await harness.redis.xgroup("CREATE", harness.keys.events, INGEST_GROUP, "0", "MKSTREAM");
    await appendEvents(harness.redis, harness.keys.events, events);
    // The crashed replica read everything and committed the first half, then died before XACK.
    const crashed = new StatusStreamConsumer({
      redis: harness.redis,
      stream: harness.keys.events,
      deadLetterStream: harness.keys.eventsDeadLetter,
      deadLetterMaxLen: 100,
      consumer: "crashed-replica",
    });
    const entries = await crashed.readNew(100, 0);
    expect(entries).toHaveLength(events.length);
    const half = entries.slice(0, 5).map(({ id, fields }) => ({
      id,
      event: JSON.parse(fields?.[fields.indexOf(STATUS_EVENT_FIELD) + 1] ?? "") as (typeof events)[number],
    }));
    await writeBatch(harness.database.database, half);

    const ingester = start({ claimMinIdleMs: 50, consumerIdleDeleteMs: 50 });
    await ingester.drain();
    const rows = await harness.jobs();
    expect(rows.map((row) => row.status)).toEqual(["complete", "complete", "complete"]);
    const rollups = await harness.database.database.db
      .selectFrom("job_rollups")
      .select(["outcome", (eb) => eb.fn.sum<number>("count").as("count")])
      .groupBy("outcome")
      .orderBy("outcome")
      .execute();
    expect(rollups.map((row) => [row.outcome, row.count])).toEqual([
      ["complete", 3],
      ["started", 3],
      ["submitted", 3],
    ]);
    expect(ingester.counters()).toMatchObject({ stored: 4, duplicates: 5 });
    // The dead consumer, now owning nothing, is removed from the group.
    await expect
      .poll(async () => {
        const consumers = (await harness.redis.xinfo(
          "CONSUMERS",
          harness.keys.events,
          INGEST_GROUP,
        )) as unknown[][];
        return consumers.map((fields) => fields[1]);
      })
      .toEqual([ingester.consumer]);
  });
});
