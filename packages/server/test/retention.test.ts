/**
 * Retention on both dialects: old finished jobs go in batches with their events, tags and
 * artifacts; young jobs (and a young child of an old parent) stay, and so do old jobs that are
 * still waiting or running, or finished inside the window; one replica at a time.
 */
import type { JobEvent } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeBatch } from "../src/ingest/history-writer.js";
import type { DialectName } from "../src/store/database.js";
import { startRetention } from "../src/sweeps/retention-sweep.js";
import { DIALECTS } from "./helpers/database.js";
import { type IngestHarness, createIngestHarness } from "./helpers/ingest.js";
import {
  completed,
  created,
  entryIds,
  jobEvent,
  logLine,
  progress,
  started,
} from "./helpers/status-events.js";

const DAY = 86_400_000;
const NOW = 1_770_000_000_000;
const RETENTION = 30 * DAY;

describe.each(DIALECTS)("retention on %s", (dialect: DialectName) => {
  let harness: IngestHarness;
  const oldIds: string[] = [];
  const youngIds: string[] = [];
  const parentId = `old-parent-${process.pid}`;
  const childId = `young-child-${process.pid}`;
  // Created before the cutoff, but not finished before it: retention must keep them whole.
  const activeId = `old-active-${process.pid}`;
  const waitingId = `old-waiting-${process.pid}`;
  const lateFinisherId = `old-finished-late-${process.pid}`;
  const liveIds = [activeId, waitingId, lateFinisherId];
  const facts = (jobId: string) => ({ jobId, function: "long-runner", tags: { team: "b" } });
  const old = NOW - RETENTION - 3 * DAY;

  beforeAll(async () => {
    harness = await createIngestHarness(dialect, `retention_${dialect}`);
    const events: JobEvent[] = [];
    const lifecycle = (jobId: string, at: number, parent: string | null = null): void => {
      const facts = {
        jobId,
        function: "kept-or-not",
        parentId: parent,
        rootId: parent ?? jobId,
        tags: { team: "a" },
      };
      events.push(
        created(facts, at),
        started(facts, 1, at + 1),
        logLine(facts, 1, at + 2, "hi"),
        completed(facts, 1, at + 3),
      );
    };
    for (let index = 0; index < 25; index++) {
      const id = `old-${process.pid}-${index}`;
      oldIds.push(id);
      lifecycle(id, NOW - RETENTION - DAY - index * 1_000);
    }
    oldIds.push(parentId);
    lifecycle(parentId, NOW - RETENTION - 2 * DAY);
    for (let index = 0; index < 5; index++) {
      const id = `young-${process.pid}-${index}`;
      youngIds.push(id);
      lifecycle(id, NOW - DAY + index);
    }
    youngIds.push(childId);
    lifecycle(childId, NOW - RETENTION + DAY, parentId);
    events.push(
      created(facts(activeId), old),
      started(facts(activeId), 1, old + 1),
      progress(facts(activeId), 1, NOW - DAY, 0.5),
      jobEvent("scheduled", { ...facts(waitingId), workerId: null }, 0, old, {
        input: { n: 1 },
        maxAttempts: 1,
        priority: 0,
        idempotencyKey: null,
        runAt: NOW + 60 * DAY,
      }),
      created(facts(lateFinisherId), old),
      started(facts(lateFinisherId), 1, old + 1),
      completed(facts(lateFinisherId), 1, NOW - DAY),
    );
    await writeBatch(
      harness.database.database,
      events.map((event, index) => ({ id: entryIds(events.length, 1)[index] ?? "", event })),
    );
    await harness.database.database.db
      .insertInto("artifacts")
      .values({
        id: "art-1",
        job_id: oldIds[0] ?? "",
        name: "report.csv",
        content_type: "text/csv",
        size_bytes: 3,
        sha256: "0".repeat(64),
        storage_key: "a/b",
        created_at: NOW - RETENTION - DAY,
      })
      .execute();
  });
  afterAll(async () => {
    await harness.close();
  });

  it("deletes old jobs in batches with their events, tags and artifacts, and keeps young ones", async () => {
    const batches: string[][] = [];
    const cutoffs: number[] = [];
    const retention = startRetention(harness.deps, {
      retentionMs: RETENTION,
      batchSize: 10,
      firstRunDelayMs: 3_600_000,
      now: () => NOW,
      beforeDeleteJobs: (ids) => {
        batches.push(ids);
        return Promise.resolve();
      },
      collectOrphanedArtifacts: (cutoff) => {
        cutoffs.push(cutoff);
        return Promise.resolve();
      },
    });
    const report = await retention.runOnce();
    await retention.stop();

    expect(report).toEqual({ deletedJobs: 26, batches: 3, cutoff: NOW - RETENTION });
    expect(batches.map((ids) => ids.length)).toEqual([10, 10, 6]);
    expect(batches.flat().sort()).toEqual([...oldIds].sort());
    expect(cutoffs).toEqual([NOW - RETENTION]);

    const { db } = harness.database.database;
    const rows = await harness.jobs();
    expect(rows.map((row) => row.id).sort()).toEqual([...youngIds, ...liveIds].sort());
    expect(rows.find((row) => row.id === childId)).toMatchObject({
      parent_id: null,
      reported_parent_id: parentId,
    });
    const orphans = await db
      .selectFrom("job_events")
      .select("job_id")
      .where("job_id", "in", oldIds)
      .execute();
    expect(orphans).toEqual([]);
    expect(await db.selectFrom("job_tags").select("job_id").where("job_id", "in", oldIds).execute()).toEqual(
      [],
    );
    expect(await db.selectFrom("artifacts").selectAll().execute()).toEqual([]);
    const youngEvents = await db
      .selectFrom("job_events")
      .select("job_id")
      .where("job_id", "in", youngIds)
      .execute();
    expect(youngEvents).toHaveLength(youngIds.length * 4);
    const liveEvents = await db
      .selectFrom("job_events")
      .select("job_id")
      .where("job_id", "in", liveIds)
      .execute();
    expect(liveEvents).toHaveLength(7);
  });

  it("keeps a job active past the cutoff whole, so its completion finishes the stored row", async () => {
    await writeBatch(harness.database.database, [
      { id: entryIds(1, NOW)[0] ?? "", event: completed(facts(activeId), 1, NOW, { done: true }) },
    ]);
    const row = (await harness.jobs()).find((candidate) => candidate.id === activeId);
    expect(row).toMatchObject({ status: "complete", function: "long-runner", created_at: old });
    expect(JSON.parse(row?.input ?? "null")).toEqual({ n: 1 });
    const { db } = harness.database.database;
    const tags = await db.selectFrom("job_tags").selectAll().where("job_id", "=", activeId).execute();
    expect(tags).toMatchObject([{ key: "team", value: "b" }]);
  });

  it("skips a run while another replica holds the lock", async () => {
    await harness.redis.set(harness.keys.retentionLock, "someone-else", "PX", 10_000);
    const retention = startRetention(harness.deps, {
      retentionMs: RETENTION,
      firstRunDelayMs: 3_600_000,
      now: () => NOW + 100 * DAY,
    });
    expect(await retention.runOnce()).toMatchObject({ deletedJobs: 0, skipped: "locked" });
    expect(await harness.jobs()).toHaveLength(youngIds.length + liveIds.length);
    await harness.redis.del(harness.keys.retentionLock);
    // Everything finished is past the window now; the job still waiting for its delay stays.
    expect(await retention.runOnce()).toMatchObject({ deletedJobs: youngIds.length + 2 });
    expect((await harness.jobs()).map((row) => row.id)).toEqual([waitingId]);
    await retention.stop();
  });
});
