/**
 * End to end: the last progress value a real worker coalesced reaches the history, both while the
 * job keeps running (sent after minInterval) and for a job that ends (sent before its end).
 */
import { loadConfig } from "@upnext/core";
import { Worker } from "upnext";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Ingester, startIngester } from "../src/ingest/ingester.js";
import { type IngestHarness, REDIS_URL, createIngestHarness, eventually } from "./helpers/ingest.js";

describe("the last coalesced progress value in the history", () => {
  let harness: IngestHarness;
  let ingester: Ingester;
  let worker: Worker;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    harness = await createIngestHarness("sqlite", "ingest_progress_flush");
    ingester = startIngester(harness.deps, { blockMs: 100 });
    // The group starts at `$`: it must exist before the worker writes anything.
    await eventually(
      async () =>
        ((await harness.redis.xinfo("GROUPS", harness.keys.events).catch(() => [])) as unknown[]).length ===
        1,
      "the consumer group",
    );
    const config = loadConfig(
      { UPNEXT_REDIS_URL: REDIS_URL, UPNEXT_LOG_LEVEL: "silent", UPNEXT_PROMOTE_INTERVAL: "50ms" },
      () => undefined,
    );
    worker = new Worker({ name: "progress", namespace: harness.namespace, handleSignals: false, config });
  });
  afterAll(async () => {
    release();
    await worker.stop();
    await ingester.stop();
    await harness.close();
  });

  it("stores the coalesced value of a running job and of a failed one", async () => {
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = worker.task(
      "slow",
      { progress: { minDelta: 0.1, minInterval: "300ms" } },
      async (_input: null, ctx) => {
        ctx.progress(0.5, "rows");
        ctx.progress(0.53, "rows"); // coalesced
        await released;
        return "done";
      },
    );
    const failing = worker.task(
      "failing",
      { retries: 0, progress: { minDelta: 0.1, minInterval: "1h" } },
      (_input: null, ctx) => {
        ctx.progress(0.4);
        ctx.progress(0.45); // coalesced; only the job's end sends it
        throw new Error("broke at row 45");
      },
    );
    await worker.start();
    const running = await slow.submit(null);
    const failed = await failing.submit(null);
    await expect(failed.result({ timeout: "5s" })).rejects.toThrow(/broke at row 45/);

    const { db } = harness.database.database;
    const row = (id: string) => db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
    const active = await eventually(async () => {
      const found = await row(running.id);
      return found?.progress === 0.53 ? found : undefined;
    }, "the running job's coalesced progress in the history");
    expect(active).toMatchObject({ status: "active", progress: 0.53, progress_message: "rows" });
    const ended = await eventually(async () => {
      const found = await row(failed.id);
      return found?.status === "failed" ? found : undefined;
    }, "the failed job in the history");
    expect(ended.progress).toBe(0.45);
    release();
    expect(await running.result({ timeout: "5s" })).toBe("done");
  });
});
