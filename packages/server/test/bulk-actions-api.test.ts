/**
 * Bulk actions against a real worker and Redis: cancel and retry many jobs by id or by a
 * confirmed filter, replay and purge many dead letters, with the per-id outcomes the single
 * actions would give (finished jobs are skipped and say why) and progress under an operation id.
 */
import type { BulkActionResult, BulkProgress, DeadLetterList, JobEvent, JobStatus } from "@upnext/core";
import type { TaskHandle, Worker } from "upnext";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  failAll,
  readEvents,
  testConfig as workerTestConfig,
  testWorker,
} from "../../upnext/test/helpers/worker.js";
import { eventually } from "../../upnext/test/helpers/redis.js";
import { writeBatch } from "../src/ingest/history-writer.js";
import { type TestApp, createTestApp } from "./helpers/app.js";
import { errorOf } from "./helpers/api-requests.js";
import { entryIds } from "./helpers/status-events.js";

describe("bulk actions", () => {
  let test: TestApp;
  let worker: Worker;
  let later: TaskHandle<{ n: number }, number>;
  let charge: TaskHandle<{ order: number }, number>;
  let healed = false;
  let dead: string[] = [];

  const post = (url: string, body: unknown) =>
    test.app.inject({ method: "POST", url, payload: body as object });
  const ok = async (url: string, body: unknown): Promise<BulkActionResult> => {
    const response = await post(url, body);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<BulkActionResult>();
  };
  const statusOf = async (id: string): Promise<JobStatus> => (await later.ref(id).status()).status;

  /** The history catches up with the namespace's status stream (the ingest path, without its consumer). */
  async function ingest(ready: (events: readonly JobEvent[]) => boolean = () => true): Promise<void> {
    // The worker writes status events in batches after submit() resolves: wait for the ones the
    // test is about before folding them into the history.
    const events = await eventually(async () => {
      const all = (await readEvents(test.redis, test.namespace)).filter(
        (event): event is JobEvent => "jobId" in event,
      );
      return ready(all) ? all : undefined;
    }, "the status events of the jobs the test acts on");
    const ids = entryIds(events.length, Date.now());
    await writeBatch(
      test.database.database,
      events.map((event, index) => ({ id: ids[index] ?? "", event })),
    );
  }

  beforeAll(async () => {
    test = await createTestApp({ dialect: "sqlite", label: "bulk-actions" });
    worker = testWorker(test.namespace, { concurrency: 20 }, workerTestConfig());
    later = worker.task("later", {}, (input: { n: number }) => input.n);
    charge = worker.task("charge", {}, (input: { order: number }) => {
      if (!healed) throw new Error(`card declined for order ${input.order}`);
      return input.order;
    });
    await worker.start();
    dead = await failAll(await charge.submitMany([1, 2, 3, 4].map((order) => ({ order }))), {
      timeout: "10s",
    });
  });

  afterAll(async () => {
    await worker.stop();
    await test.close();
  });

  it("cancels the named jobs and skips, with the reason, the ones already finished", async () => {
    const waiting = await Promise.all([1, 2, 3].map((n) => later.submit({ n }, { delay: "1h" })));
    const done = await later.submit({ n: 9 });
    await done.result({ timeout: "10s" });
    const result = await ok("/api/v1/jobs/bulk/cancel", {
      ids: [...waiting.map((ref) => ref.id), done.id],
      reason: "bulk test",
    });
    expect(result).toMatchObject({ action: "cancel", matched: 4, succeeded: 3, skipped: 1 });
    expect(result.errors).toEqual([expect.objectContaining({ id: done.id, code: "conflict" })]);
    for (const ref of waiting) expect(await statusOf(ref.id)).toBe("cancelled");
  });

  it("cancels all jobs matching a filter only once the count is confirmed, and never more than confirmed", async () => {
    const refs = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => later.submit({ n }, { delay: "1h", tags: { batch: "b1" } })),
    );
    await ingest((events) => refs.every((ref) => events.some((event) => event.jobId === ref.id)));
    const filter = { function: ["later"], tag: ["batch:b1"] };
    const unconfirmed = await post("/api/v1/jobs/bulk/cancel", { filter });
    expect(unconfirmed.statusCode).toBe(400);
    expect(errorOf(unconfirmed).details).toMatchObject({ field: "confirm", matching: 5 });
    for (const ref of refs) expect(await statusOf(ref.id)).toBe("scheduled");

    const tooFew = await post("/api/v1/jobs/bulk/cancel", { filter, confirm: 3 });
    expect(tooFew.statusCode).toBe(409);
    expect(errorOf(tooFew).details).toMatchObject({ matching: 5, confirm: 3 });
    for (const ref of refs) expect(await statusOf(ref.id)).toBe("scheduled");

    const operationId = `op-${Date.now()}`;
    const result = await ok("/api/v1/jobs/bulk/cancel", { filter, confirm: 5, operationId });
    expect(result).toMatchObject({ matched: 5, succeeded: 5, skipped: 0 });
    for (const ref of refs) expect(await statusOf(ref.id)).toBe("cancelled");
    const progress = await test.app.inject({ method: "GET", url: `/api/v1/bulk-operations/${operationId}` });
    expect(progress.json<BulkProgress>()).toEqual({
      operationId,
      action: "cancel",
      done: 5,
      total: 5,
      finished: true,
    });
  });

  it("retries the cancelled jobs matching a filter, one new job each", async () => {
    await ingest(
      (events) =>
        events.filter((event) => event.function === "later" && event.type === "cancelled").length >= 5,
    );
    const filter = { function: ["later"], tag: ["batch:b1"], status: ["cancelled"] };
    const count = await post("/api/v1/jobs/bulk/retry", { filter });
    expect(errorOf(count).details).toMatchObject({ matching: 5 });
    const result = await ok("/api/v1/jobs/bulk/retry", { filter, confirm: "yes" });
    expect(result).toMatchObject({ action: "retry", matched: 5, succeeded: 5 });
    expect(result.created).toHaveLength(5);
    const values = await Promise.all(
      result.created.map((entry) => later.ref(entry.jobId).result({ timeout: "10s" })),
    );
    expect(values.sort()).toEqual([1, 2, 3, 4, 5]);
    // A second retry of the same originals is refused per job (retried before) and reported.
    const again = await ok("/api/v1/jobs/bulk/retry", { ids: result.created.map((entry) => entry.replayOf) });
    expect(again).toMatchObject({ succeeded: 0, skipped: 5 });
  });

  it("rejects a request with both ids and a filter, or neither, naming the fields", async () => {
    const both = await post("/api/v1/jobs/bulk/cancel", { ids: ["a"], filter: {} });
    expect(both.statusCode).toBe(400);
    expect(errorOf(both).message).toMatch(/either ids .* or filter/);
    const neither = await post("/api/v1/dead-letters/bulk/purge", {});
    expect(neither.statusCode).toBe(400);
    const badStatus = await post("/api/v1/jobs/bulk/cancel", { filter: { status: ["exploded"] } });
    expect(badStatus.statusCode).toBe(400);
    expect(errorOf(badStatus).message).toMatch(/exploded/);
  });

  it("replays the named dead letters and purges the rest of a function only once confirmed", async () => {
    healed = true;
    const [first, second, ...rest] = dead;
    const replayed = await ok("/api/v1/dead-letters/bulk/replay", { jobIds: [first, second] });
    expect(replayed).toMatchObject({ action: "replay", matched: 2, succeeded: 2 });
    const results = await Promise.all(
      replayed.created.map((entry) => charge.ref(entry.jobId).result({ timeout: "10s" })),
    );
    expect(results.sort()).toEqual([1, 2]);

    const unconfirmed = await post("/api/v1/dead-letters/bulk/purge", { filter: { function: "charge" } });
    expect(errorOf(unconfirmed).details).toMatchObject({ matching: 4 });
    const purged = await ok("/api/v1/dead-letters/bulk/purge", {
      filter: { function: "charge" },
      confirm: 4,
    });
    expect(purged).toMatchObject({ action: "purge", matched: 4, succeeded: 4 });
    const left = await test.app.inject({ method: "GET", url: "/api/v1/dead-letters?function=charge" });
    expect(left.json<DeadLetterList>().items).toEqual([]);
    // Purging named ids that are gone now skips them.
    const gone = await ok("/api/v1/dead-letters/bulk/purge", { jobIds: rest });
    expect(gone).toMatchObject({ succeeded: 0, skipped: rest.length });
  });

  it("answers 404 for an unknown operation id", async () => {
    const response = await test.app.inject({ method: "GET", url: "/api/v1/bulk-operations/nosuchop123" });
    expect(response.statusCode).toBe(404);
  });
});
