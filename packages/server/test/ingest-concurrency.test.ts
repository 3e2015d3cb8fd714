/**
 * Two ingesters (two consumers, two database handles) on one stream and one database: a few
 * thousand events of a few hundred jobs, written by several publishers whose writes interleave
 * at random (each publisher's own events stay in its order, some written twice), must end in
 * exactly the rows and rollups the lifecycles imply.
 */
import type { JobEvent } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Ingester, startIngester } from "../src/ingest/ingester.js";
import type { DialectName } from "../src/store/database.js";
import type { JobRow } from "../src/store/schema.js";
import { DIALECTS } from "./helpers/database.js";
import { type IngestHarness, createIngestHarness, eventually } from "./helpers/ingest.js";
import {
  type JobFacts,
  appendEvents,
  cancelled,
  completed,
  created,
  failed,
  jobEvent,
  progress,
  requeued,
  retrying,
  started,
} from "./helpers/status-events.js";

const JOBS = 500;
const WORKERS = 3;
const T0 = 1_760_000_000_000;
const FN = "concurrent";

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

type Fate = "complete" | "retried" | "failed" | "cancelled";

interface Plan {
  readonly publishers: Map<string, JobEvent[]>;
  readonly expected: Map<string, Partial<JobRow>>;
  readonly rollups: Record<string, number>;
}

function plan(next: () => number): Plan {
  const publishers = new Map<string, JobEvent[]>();
  const publish = (publisher: string, event: JobEvent): void => {
    const list = publishers.get(publisher) ?? [];
    list.push(event);
    // A publisher's retried write: the same event twice in a row.
    if (next() < 0.05) list.push(event);
    publishers.set(publisher, list);
  };
  const expected = new Map<string, Partial<JobRow>>();
  const rollups: Record<string, number> = { submitted: JOBS, started: 0 };
  const add = (outcome: string): void => {
    rollups[outcome] = (rollups[outcome] ?? 0) + 1;
  };
  const ids = Array.from({ length: JOBS }, (_, index) => `cj-${process.pid}-${index}`);
  ids.forEach((jobId, index) => {
    const parentId = index % 10 === 5 ? (ids[index - 5] ?? null) : null;
    const worker = (attempt: number): JobFacts => ({
      jobId,
      function: FN,
      parentId,
      rootId: parentId ?? jobId,
      workerId: `worker-${(index + attempt) % WORKERS}-0000000a`,
    });
    const at = T0 + index * 100;
    const roll = next();
    const fate: Fate = roll < 0.6 ? "complete" : roll < 0.8 ? "retried" : roll < 0.9 ? "failed" : "cancelled";
    publish("producer", created(worker(0), at));
    publish(`worker-${(index + 1) % WORKERS}`, started(worker(1), 1, at + 1));
    add("started");
    switch (fate) {
      case "complete":
        publish(`worker-${(index + 1) % WORKERS}`, progress(worker(1), 1, at + 2, 0.5));
        publish(`worker-${(index + 1) % WORKERS}`, completed(worker(1), 1, at + 3));
        add("complete");
        expected.set(jobId, {
          status: "complete",
          attempt: 1,
          started_at: at + 1,
          finished_at: at + 3,
          progress: 1,
        });
        break;
      case "retried":
        publish(`worker-${(index + 1) % WORKERS}`, retrying(worker(1), 1, at + 2));
        publish("maintenance", requeued(worker(1), 1, at + 3));
        publish(`worker-${(index + 2) % WORKERS}`, started(worker(2), 2, at + 4));
        publish(`worker-${(index + 2) % WORKERS}`, progress(worker(2), 2, at + 5, 0.25));
        publish(`worker-${(index + 2) % WORKERS}`, completed(worker(2), 2, at + 6));
        add("started");
        add("retried");
        add("complete");
        expected.set(jobId, {
          status: "complete",
          attempt: 2,
          started_at: at + 4,
          finished_at: at + 6,
          progress: 1,
        });
        break;
      case "failed":
        publish(`worker-${(index + 1) % WORKERS}`, failed(worker(1), 1, at + 2));
        publish(
          `worker-${(index + 1) % WORKERS}`,
          jobEvent("dead-lettered", worker(1), 1, at + 2, { reason: "exception", attempts: 1 }),
        );
        add("failed");
        expected.set(jobId, {
          status: "failed",
          attempt: 1,
          failure_reason: "exception",
          finished_at: at + 2,
        });
        break;
      case "cancelled":
        publish(`worker-${(index + 1) % WORKERS}`, progress(worker(1), 1, at + 2, 0.4));
        publish("canceller", cancelled(worker(1), 1, at + 3));
        add("cancelled");
        expected.set(jobId, {
          status: "cancelled",
          attempt: 1,
          failure_reason: "cancelled",
          finished_at: at + 3,
        });
        break;
    }
    const row = expected.get(jobId) ?? {};
    expected.set(jobId, {
      ...row,
      created_at: at,
      max_attempts: 3,
      parent_id: parentId,
      root_id: parentId ?? jobId,
    });
  });
  return { publishers, expected, rollups };
}

/** Interleaves the publishers at random, each one's events in its own order. */
function interleave(publishers: Map<string, JobEvent[]>, next: () => number): JobEvent[] {
  const queues = [...publishers.values()].map((list) => [...list]);
  const out: JobEvent[] = [];
  for (;;) {
    const open = queues.filter((queue) => queue.length > 0);
    if (open.length === 0) return out;
    const queue = open[Math.floor(next() * open.length)] ?? [];
    const event = queue.shift();
    if (event) out.push(event);
  }
}

describe.each(DIALECTS)("two ingesters at once on %s", (dialect: DialectName) => {
  let harness: IngestHarness;
  const ingesters: Ingester[] = [];

  beforeAll(async () => {
    harness = await createIngestHarness(dialect, `ingest_pair_${dialect}`);
  });
  afterAll(async () => {
    for (const ingester of ingesters) await ingester.stop();
    await harness.close();
  });

  it("lose and regress nothing", async () => {
    const next = random(dialect === "sqlite" ? 7 : 11);
    const { publishers, expected, rollups } = plan(next);
    const events = interleave(publishers, next);
    expect(events.length).toBeGreaterThan(2_000);

    for (const name of ["replica-a", "replica-b"]) {
      const database = await harness.database.open();
      ingesters.push(
        startIngester(harness.deps, {
          database,
          consumerName: name,
          batchSize: 37,
          blockMs: 50,
          maintenanceIntervalMs: 200,
        }),
      );
    }
    await eventually(
      async () =>
        ((await harness.redis.xinfo("GROUPS", harness.keys.events).catch(() => [])) as unknown[]).length ===
        1,
      "the consumer group",
    );
    for (let index = 0; index < events.length; index += 50) {
      await appendEvents(harness.redis, harness.keys.events, events.slice(index, index + 50));
    }
    await ingesters[0]?.drain(60_000);

    // Both replicas took part.
    const counters = ingesters.map((ingester) => ingester.counters());
    expect(counters.every((counter) => counter.batches > 0)).toBe(true);
    expect(counters.reduce((sum, counter) => sum + counter.stored, 0)).toBe(events.length);

    const rows = await harness.jobs();
    expect(rows).toHaveLength(JOBS);
    for (const row of rows) expect(row).toMatchObject({ id: row.id, ...expected.get(row.id) });

    const stored = await harness.database.database.db
      .selectFrom("job_rollups")
      .select(["outcome", (eb) => eb.fn.sum<number>("count").as("count")])
      .where("function", "=", FN)
      .groupBy("outcome")
      .execute();
    expect(Object.fromEntries(stored.map((row) => [row.outcome, row.count]))).toEqual(rollups);
    const eventRows = await harness.database.database.db
      .selectFrom("job_events")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .executeTakeFirstOrThrow();
    expect(eventRows.count).toBe(events.length);
  });
});
