/**
 * The history writer on both dialects: ordering, idempotency, creation fields that arrive late,
 * child before parent, rollups counted once.
 */
import type { JobEvent } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestedEvent } from "../src/ingest/job-fold.js";
import { ROLLUP_BUCKET_MS } from "../src/store/schema.js";
import { bulkWrites } from "../src/store/bulk-writes.js";
import { writeBatch } from "../src/ingest/history-writer.js";
import type { JobRow } from "../src/store/schema.js";
import { DIALECTS, type TestDatabase, createTestDatabase } from "./helpers/database.js";
import {
  type JobFacts,
  cancelled,
  completed,
  created,
  entryIds,
  failed,
  jobEvent,
  logLine,
  progress,
  requeued,
  retrying,
  started,
} from "./helpers/status-events.js";

const T0 = 1_750_000_000_000;
let jobCounter = 0;
function newJob(extra: Partial<JobFacts> = {}): JobFacts {
  jobCounter += 1;
  return { jobId: `job-${process.pid}-${jobCounter}`, ...extra };
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

describe.each(DIALECTS)("history writer on %s", (dialect) => {
  let test: TestDatabase;
  let idBase = T0;

  beforeAll(async () => {
    test = await createTestDatabase(dialect, "ingest_order");
  });
  afterAll(async () => {
    await test.destroy();
  });

  /** Applies events as one batch, each under a new entry id (or the ids given). */
  async function apply(events: readonly JobEvent[], ids?: readonly string[]) {
    idBase += 1;
    const useIds = ids ?? entryIds(events.length, idBase);
    const batch: IngestedEvent[] = events.map((event, index) => ({ id: useIds[index] ?? "", event }));
    return { outcome: await writeBatch(test.database, batch), ids: useIds };
  }

  async function row(jobId: string): Promise<JobRow | undefined> {
    return test.database.db.selectFrom("jobs").selectAll().where("id", "=", jobId).executeTakeFirst();
  }

  async function rollups(fn: string): Promise<Record<string, number>> {
    const rows = await test.database.db
      .selectFrom("job_rollups")
      .select(["outcome", "count"])
      .where("function", "=", fn)
      .execute();
    const out: Record<string, number> = {};
    for (const entry of rows) out[entry.outcome] = (out[entry.outcome] ?? 0) + entry.count;
    return out;
  }

  it("ends in the same state for every arrival order of one attempt's events", async () => {
    const fn = "orders";
    const rows: JobRow[] = [];
    const orders = permutations(["created", "started", "progress", "completed"] as const);
    for (const order of orders) {
      const job = newJob({ function: fn });
      const events = {
        created: created(job, T0),
        started: started(job, 1, T0 + 10),
        progress: progress(job, 1, T0 + 20, 0.6),
        completed: completed(job, 1, T0 + 30),
      };
      // One event per batch: the worst case, each arrival against the stored row.
      for (const name of order) await apply([events[name]]);
      const stored = await row(job.jobId);
      if (stored) rows.push(stored);
    }
    expect(rows).toHaveLength(orders.length);
    for (const stored of rows) {
      expect(stored).toMatchObject({
        status: "complete",
        attempt: 1,
        progress: 1,
        max_attempts: 3,
        created_at: T0,
        started_at: T0 + 10,
        finished_at: T0 + 30,
        queue_wait_ms: 5,
        duration_ms: 10,
        result: JSON.stringify("ok"),
      });
    }
    expect(await rollups(fn)).toEqual({
      submitted: orders.length,
      started: orders.length,
      complete: orders.length,
    });
  });

  it("lets no older event regress a newer state, across retries and hand-backs", async () => {
    const job = newJob({ function: "retries" });
    const lifecycle = [
      created(job, T0),
      started(job, 1, T0 + 10),
      retrying(job, 1, T0 + 20),
      requeued(job, 1, T0 + 30),
      started(job, 2, T0 + 40),
      // Handed back at shutdown (attempt counted back to 1), then run again as attempt 2.
      jobEvent("queued", job, 1, T0 + 50, { from: "handed-back" }),
      started(job, 2, T0 + 60),
    ];
    const expected: Partial<JobRow>[] = [
      { status: "queued" },
      { status: "active", attempt: 1 },
      { status: "retrying", attempt: 1, error_message: "boom 1" },
      { status: "queued", attempt: 1 },
      { status: "active", attempt: 2, started_at: T0 + 40 },
      { status: "queued", attempt: 2 },
      { status: "active", attempt: 2, started_at: T0 + 60 },
    ];
    for (const [index, event] of lifecycle.entries()) {
      await apply([event]);
      expect(await row(job.jobId)).toMatchObject(expected[index] ?? {});
      // Every earlier event, re-published under new entry ids, changes nothing.
      const before = await row(job.jobId);
      await apply(lifecycle.slice(0, index));
      expect(await row(job.jobId)).toEqual(before);
    }
    await apply([completed(job, 2, T0 + 70)]);
    await apply(lifecycle);
    expect(await row(job.jobId)).toMatchObject({ status: "complete", attempt: 2, error_message: null });
    expect(await rollups("retries")).toEqual({ submitted: 1, started: 3, retried: 1, complete: 1 });
  });

  it("never overwrites a terminal status, whichever terminal or earlier event comes next", async () => {
    const job = newJob({ function: "terminal" });
    await apply([created(job, T0), started(job, 1, T0 + 1), failed(job, 1, T0 + 2)]);
    await apply([
      completed(job, 1, T0 + 3),
      cancelled(job, 1, T0 + 4),
      started(job, 2, T0 + 5),
      progress(job, 1, T0 + 6, 0.9),
    ]);
    expect(await row(job.jobId)).toMatchObject({
      status: "failed",
      failure_reason: "exception",
      error_message: "final boom",
      finished_at: T0 + 2,
      duration_ms: 7,
    });
    expect(await rollups("terminal")).toMatchObject({ failed: 1 });
    expect((await rollups("terminal")).complete).toBeUndefined();
  });

  it("changes nothing when the same entries are applied twice", async () => {
    const job = newJob({ function: "twice", tags: { tenant: "acme" } });
    const events = [
      created(job, T0),
      started(job, 1, T0 + 1),
      logLine(job, 1, T0 + 2, "hello"),
      completed(job, 1, T0 + 3),
    ];
    const first = await apply(events);
    expect(first.outcome).toMatchObject({ stored: 4, duplicates: 0, insertedJobIds: [job.jobId] });
    const before = await row(job.jobId);
    const second = await apply(events, first.ids);
    expect(second.outcome).toMatchObject({ stored: 0, duplicates: 4, insertedJobIds: [], changedJobs: 0 });
    expect(await row(job.jobId)).toEqual(before);
    expect(await rollups("twice")).toEqual({ submitted: 1, started: 1, complete: 1 });
    const stored = await test.database.db
      .selectFrom("job_events")
      .select(["id", "type"])
      .where("job_id", "=", job.jobId)
      .orderBy("id")
      .execute();
    expect(stored.map((event) => event.type).sort()).toEqual(["completed", "log", "queued", "started"]);
    const tags = await test.database.db
      .selectFrom("job_tags")
      .selectAll()
      .where("job_id", "=", job.jobId)
      .execute();
    expect(tags).toEqual([{ job_id: job.jobId, key: "tenant", value: "acme" }]);
  });

  it("stores a child before its parent without dropping the foreign key, and links it later", async () => {
    const parent = newJob({ function: "parent" });
    const child = newJob({ function: "child", parentId: parent.jobId, rootId: parent.jobId });
    await apply([created(child, T0 + 5), started(child, 1, T0 + 6)]);
    expect(await row(child.jobId)).toMatchObject({
      parent_id: null,
      reported_parent_id: parent.jobId,
      root_id: parent.jobId,
    });
    await apply([started(parent, 1, T0 + 1)]);
    expect(await row(child.jobId)).toMatchObject({ parent_id: parent.jobId });
    // The constraint is still there: a parent that does not exist is refused.
    await expect(
      test.database.db
        .updateTable("jobs")
        .set({ parent_id: "no-such-job" })
        .where("id", "=", child.jobId)
        .execute(),
    ).rejects.toThrow();
    // A grandchild whose parent exists already is linked in its own batch.
    const grandchild = newJob({ function: "child", parentId: child.jobId, rootId: parent.jobId });
    await apply([created(grandchild, T0 + 7)]);
    expect(await row(grandchild.jobId)).toMatchObject({ parent_id: child.jobId });
  });

  it("fills creation fields that arrive after the job started, without moving its status back", async () => {
    const job = newJob({ function: "late-creation" });
    await apply([started(job, 1, T0 + 100), progress(job, 1, T0 + 150, 0.5)]);
    expect(await row(job.jobId)).toMatchObject({
      status: "active",
      created_at: T0 + 100,
      max_attempts: null,
      progress: 0.5,
    });
    await apply([
      created(job, T0, {
        input: { big: true },
        maxAttempts: 5,
        priority: 7,
        idempotencyKey: "order-1",
        metadata: { source: "api" },
        origin: { kind: "cron", schedule: "nightly", scheduledFor: T0, catchUp: false },
      }),
    ]);
    expect(await row(job.jobId)).toMatchObject({
      status: "active",
      created_at: T0,
      max_attempts: 5,
      priority: 7,
      idempotency_key: "order-1",
      input: JSON.stringify({ big: true }),
      metadata: JSON.stringify({ source: "api" }),
      kind: "cron",
      schedule: "nightly",
      progress: 0.5,
    });
    const buckets = await test.database.db
      .selectFrom("job_rollups")
      .select(["bucket", "outcome"])
      .where("function", "=", "late-creation")
      .where("outcome", "=", "submitted")
      .execute();
    expect(buckets).toEqual([
      { bucket: Math.floor(T0 / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS, outcome: "submitted" },
    ]);
  });

  it("keeps the newest progress and checkpoint, whatever order they arrive in", async () => {
    const job = newJob({ function: "progress" });
    await apply([created(job, T0), started(job, 1, T0 + 1), progress(job, 1, T0 + 30, 0.8)]);
    await apply([
      progress(job, 1, T0 + 20, 0.5),
      jobEvent("checkpoint", job, 1, T0 + 40, { version: 2, state: { page: 4 } }),
      jobEvent("checkpoint", job, 1, T0 + 35, { version: 1, state: { page: 3 } }),
    ]);
    expect(await row(job.jobId)).toMatchObject({
      progress: 0.8,
      progress_message: "at 0.8",
      progress_at: T0 + 30,
      checkpoint: JSON.stringify({ version: 2, state: { page: 4 } }),
      checkpoint_at: T0 + 40,
    });
  });

  it("refuses a regressing write in SQL too, whatever the caller folded", async () => {
    const job = newJob({ function: "guard" });
    await apply([created(job, T0), started(job, 1, T0 + 1), completed(job, 1, T0 + 2)]);
    const stored = await row(job.jobId);
    if (!stored) throw new Error("no row");
    const writes = bulkWrites(test.database.dialect);
    const { db } = test.database;
    // An older state (active) over a terminal one: the upsert's condition keeps the row.
    await writes.updateJobs(db, [
      { ...stored, status: "active", state_phase: stored.state_phase - 1, result: null },
    ]);
    expect(await row(job.jobId)).toEqual(stored);
    // The same state with other columns changed (a late creation field): written.
    await writes.updateJobs(db, [{ ...stored, priority: 9 }]);
    expect(await row(job.jobId)).toMatchObject({ status: "complete", priority: 9 });
  });

  it("counts a re-published start or retry once", async () => {
    const job = newJob({ function: "republished" });
    const start = started(job, 1, T0 + 1);
    const retry = retrying(job, 1, T0 + 2);
    await apply([created(job, T0), start, retry, start]);
    await apply([retry, start]);
    expect(await rollups("republished")).toEqual({ submitted: 1, started: 1, retried: 1 });
  });

  it("stores text PostgreSQL would refuse (NUL characters, over-long tags) without failing the batch", async () => {
    const job = newJob({ function: "dirty", tags: { ["k".repeat(300)]: "v".repeat(2_000) } });
    await apply([
      created(job, T0),
      jobEvent("failed", job, 1, T0 + 1, {
        error: { name: "Error", message: "bad\u0000byte" },
        reason: "exception",
      }),
    ]);
    expect(await row(job.jobId)).toMatchObject({ status: "failed", error_message: "badbyte" });
    const tags = await test.database.db
      .selectFrom("job_tags")
      .selectAll()
      .where("job_id", "=", job.jobId)
      .execute();
    expect(tags[0]?.key).toHaveLength(255);
    expect(tags[0]?.value).toHaveLength(1_024);
  });
});
