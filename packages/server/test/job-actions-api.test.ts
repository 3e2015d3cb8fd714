/**
 * Cancel and retry a job, and pause and resume a function, through the API against a real
 * worker running in the app's namespace; the history database only answers for ids Redis no
 * longer holds. Outages of Redis (a private redis-server stopped and restarted) and of the
 * database answer 503.
 */
import { type Config, TaskCancelledError, TaskFailedError, loadConfig } from "@upnext/core";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { TaskHandle, Worker } from "upnext";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../upnext/test/helpers/redis.js";
import { deferred, testWorker } from "../../upnext/test/helpers/worker.js";
import { startIngester } from "../src/ingest/ingester.js";
import type { HistorySchema } from "../src/store/schema.js";
import { REDIS_URL, type TestApp, createTestApp } from "./helpers/app.js";
import { DIALECTS } from "./helpers/database.js";
import { errorOf, expectUnavailable } from "./helpers/api-requests.js";
import {
  type OutageApp,
  type PrivateRedisApp,
  appOnPrivateRedis,
  appWithDatabaseDown,
} from "./helpers/outage-apps.js";
import type { Kysely } from "kysely";

const UNKNOWN_ID = "01NOSUCHJOB0000000000000000";

function workerConfig(namespace: string, redisUrl = REDIS_URL): Config {
  return loadConfig(
    {
      UPNEXT_REDIS_URL: redisUrl,
      UPNEXT_NAMESPACE: namespace,
      UPNEXT_LOG_LEVEL: "silent",
      UPNEXT_PROMOTE_INTERVAL: "50ms",
      UPNEXT_HEARTBEAT_INTERVAL: "1s",
    },
    () => undefined,
  );
}

async function post(app: FastifyInstance, url: string, body?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({ method: "POST", url, ...(body === undefined ? {} : { payload: body as object }) });
}

/** A job row as ingest would have written it, for a job Redis has forgotten. */
async function insertHistoryJob(
  db: Kysely<HistorySchema>,
  id: string,
  status: "complete" | "failed" | "active",
  stored: { input?: unknown; tags?: Record<string, string>; priority?: number } = {},
): Promise<void> {
  const now = Date.now();
  await db
    .insertInto("jobs")
    .values({
      id,
      function: "flaky",
      kind: "task",
      status,
      failure_reason: status === "failed" ? "exception" : null,
      attempt: 1,
      max_attempts: 1,
      deliveries: 1,
      priority: stored.priority ?? 0,
      parent_id: null,
      reported_parent_id: null,
      root_id: id,
      depends_on: null,
      idempotency_key: null,
      schedule: null,
      event_name: null,
      origin: null,
      input: JSON.stringify(stored.input ?? null),
      result: null,
      error: null,
      error_message: null,
      tags: stored.tags === undefined ? null : JSON.stringify(stored.tags),
      metadata: null,
      progress: 1,
      progress_message: null,
      checkpoint: null,
      checkpoint_at: null,
      worker_id: null,
      created_at: now - 1_000,
      scheduled_at: null,
      started_at: now - 900,
      finished_at: now - 800,
      queue_wait_ms: 100,
      duration_ms: 100,
      updated_at: now,
      state_phase: 9,
      state_at: now - 800,
    })
    .execute();
}

describe.each(DIALECTS)("job and function actions (%s)", (dialect) => {
  let test: TestApp;
  let worker: Worker;
  let waitsTask: TaskHandle<null, string>;
  let flakyTask: TaskHandle<{ n: number }, number>;
  let started = deferred();
  let returned = deferred();
  let signalSeen = false;
  let failing = true;
  const ran = new Set<string>();

  beforeAll(async () => {
    test = await createTestApp({ dialect, label: "job-actions" });
    worker = testWorker(test.namespace, { concurrency: 4 }, workerConfig(test.namespace));
    waitsTask = worker.task("waits", {}, async (_input: null, ctx) => {
      ran.add(ctx.jobId);
      started.resolve();
      await new Promise<void>((resolve) => {
        ctx.signal.addEventListener("abort", () => {
          signalSeen = true;
          resolve();
        });
      });
      returned.resolve();
      return "late result";
    });
    flakyTask = worker.task("flaky", {}, (input: { n: number }, ctx) => {
      ran.add(ctx.jobId);
      if (failing) throw new Error(`flaky ${input.n}`);
      return input.n * 2;
    });
    await worker.start();
  });

  afterAll(async () => {
    await worker.stop();
    await test.close();
  });

  const waits = () => waitsTask;
  const flaky = () => flakyTask;

  it("cancels a running job: its handler's signal aborts, its slot is freed, its late result is discarded", async () => {
    started = deferred();
    returned = deferred();
    const ref = await waits().submit(null);
    await started.promise;
    const response = await post(test.app, `/api/v1/jobs/${ref.id}/cancel`, { reason: "operator asked" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      cancelled: true,
      job: { id: ref.id, function: "waits", status: "cancelled", cancelReason: "operator asked" },
    });
    await eventually(() => signalSeen, "the handler's abort signal");
    await returned.promise;
    await expect(ref.result({ timeout: "5s" })).rejects.toBeInstanceOf(TaskCancelledError);
    await eventually(() => worker.metrics().jobs.cancelled >= 1, "the worker to free the slot");
    expect((await ref.status()).status).toBe("cancelled");
  });

  it("cancels a queued job before it runs; a second cancel is a 409 naming the status", async () => {
    const ref = await flaky().submit({ n: 1 }, { delay: "1h" });
    const first = await post(test.app, `/api/v1/jobs/${ref.id}/cancel`);
    expect(first.statusCode).toBe(200);
    const again = await post(test.app, `/api/v1/jobs/${ref.id}/cancel`);
    expect(again.statusCode).toBe(409);
    expect(errorOf(again)).toMatchObject({ code: "conflict", details: { status: "cancelled" } });
    expect(errorOf(again).message).toContain("already 'cancelled'");
    expect(ran.has(ref.id)).toBe(false);
  });

  it("answers 404 for an unknown id and 400 for bad input, naming the field", async () => {
    const unknown = await post(test.app, `/api/v1/jobs/${UNKNOWN_ID}/cancel`);
    expect(unknown.statusCode).toBe(404);
    expect(errorOf(unknown).code).toBe("not_found");
    const badId = await post(test.app, `/api/v1/jobs/${"x".repeat(65)}/cancel`);
    expect(badId.statusCode).toBe(400);
    expect(errorOf(badId).message).toContain("id");
    const badChars = await post(test.app, "/api/v1/jobs/bad%20id!/retry");
    expect(badChars.statusCode).toBe(400);
    const longReason = await post(test.app, `/api/v1/jobs/${UNKNOWN_ID}/cancel`, {
      reason: "x".repeat(1_001),
    });
    expect(longReason.statusCode).toBe(400);
    expect(errorOf(longReason).message).toContain("reason");
    const extra = await post(test.app, `/api/v1/jobs/${UNKNOWN_ID}/retry`, { forced: true });
    expect(extra.statusCode).toBe(400);
    expect(errorOf(extra).message).toContain("forced");
    const badForce = await post(test.app, `/api/v1/jobs/${UNKNOWN_ID}/retry`, { force: "yes" });
    expect(badForce.statusCode).toBe(400);
    expect(errorOf(badForce).message).toContain("force");
  });

  it("retries a failed job Redis no longer holds from the history's input, once unless forced", async () => {
    failing = false;
    const id = "01HISTORYONLY0000000000000";
    await insertHistoryJob(test.database.database.db, id, "failed", {
      input: { n: 21 },
      tags: { tenant: "acme" },
      priority: 2,
    });
    const retry = await post(test.app, `/api/v1/jobs/${id}/retry`);
    expect(retry.statusCode).toBe(201);
    const body = retry.json<{ replayOf: string; deadLettered: boolean; job: { id: string } }>();
    expect(body).toMatchObject({ replayOf: id, deadLettered: false });
    const replay = flaky().ref(body.job.id);
    expect(await replay.result({ timeout: "5s" })).toBe(42);
    const stored = await replay.status();
    expect(stored.origin).toEqual({ kind: "retry", retryOf: id });
    expect(stored.tags).toEqual({ tenant: "acme" });
    expect(stored.priority).toBe(2);
    // The history records the link too: origin.retryOf, listed under the re-run kind "replay".
    const ingester = startIngester(test.deps, { blockMs: 100, start: "0" });
    try {
      const detail = await eventually(async () => {
        const answer = await test.app.inject({ method: "GET", url: `/api/v1/jobs/${body.job.id}` });
        const job = answer.statusCode === 200 ? answer.json<{ status: string }>() : undefined;
        return job?.status === "complete" ? answer.json<{ kind: string; origin: unknown }>() : undefined;
      }, "the retry in the history");
      expect(detail.origin).toEqual({ kind: "retry", retryOf: id });
      expect(detail.kind).toBe("replay");
    } finally {
      await ingester.stop();
    }

    const twice = await post(test.app, `/api/v1/jobs/${id}/retry`);
    expect(twice.statusCode).toBe(409);
    expect(errorOf(twice)).toMatchObject({ details: { replayedAs: body.job.id } });
    const forced = await post(test.app, `/api/v1/jobs/${id}/retry`, { force: true });
    expect(forced.statusCode).toBe(201);
    expect(forced.json<{ job: { id: string } }>().job.id).not.toBe(body.job.id);
  });

  it("says clearly why a job Redis no longer holds cannot be cancelled, or retried when complete", async () => {
    const finished = "01HISTORYDONE0000000000000";
    await insertHistoryJob(test.database.database.db, finished, "complete");
    const cancel = await post(test.app, `/api/v1/jobs/${finished}/cancel`);
    expect(cancel.statusCode).toBe(409);
    expect(errorOf(cancel)).toMatchObject({
      details: { status: "complete", inQueue: false, cancellable: false },
    });
    expect(errorOf(cancel).message).toMatch(/can no longer be cancelled: it already finished \('complete'\)/);
    const retry = await post(test.app, `/api/v1/jobs/${finished}/retry`);
    expect(retry.statusCode).toBe(409);
    expect(errorOf(retry).message).toMatch(/only failed or cancelled jobs can be retried/);

    const lost = "01HISTORYLOST0000000000000";
    await insertHistoryJob(test.database.database.db, lost, "active");
    const lostCancel = await post(test.app, `/api/v1/jobs/${lost}/cancel`);
    expect(lostCancel.statusCode).toBe(409);
    expect(errorOf(lostCancel).message).toMatch(/last saw it 'active', but the queue no longer holds it/);
  });

  it("retries a dead-lettered job as its replay, which runs again; a second retry needs force", async () => {
    failing = true;
    const ref = await flaky().submit({ n: 3 });
    await expect(ref.result({ timeout: "5s" })).rejects.toBeInstanceOf(TaskFailedError);
    failing = false;
    const response = await post(test.app, `/api/v1/jobs/${ref.id}/retry`);
    expect(response.statusCode).toBe(201);
    const body = response.json<{
      replayOf: string;
      deadLettered: boolean;
      job: { id: string; href: string };
    }>();
    expect(body).toMatchObject({ replayOf: ref.id, deadLettered: true });
    expect(body.job.id).not.toBe(ref.id);
    expect(body.job.href).toBe(`/api/v1/jobs/${body.job.id}`);
    const replay = flaky().ref(body.job.id);
    expect(await replay.result({ timeout: "5s" })).toBe(6);
    expect((await replay.status()).origin).toEqual({ kind: "replay", replayOf: ref.id });
    const twice = await post(test.app, `/api/v1/jobs/${ref.id}/retry`);
    expect(twice.statusCode).toBe(409);
    expect(errorOf(twice)).toMatchObject({ details: { replayedAs: body.job.id } });
    const forced = await post(test.app, `/api/v1/jobs/${ref.id}/retry`, { force: true });
    expect(forced.statusCode).toBe(201);
  });

  it("retries a cancelled job as a new linked job", async () => {
    failing = false;
    const ref = await flaky().submit({ n: 4 }, { delay: "1h" });
    expect((await post(test.app, `/api/v1/jobs/${ref.id}/cancel`)).statusCode).toBe(200);
    const response = await post(test.app, `/api/v1/jobs/${ref.id}/retry`);
    expect(response.statusCode).toBe(201);
    const body = response.json<{ deadLettered: boolean; job: { id: string } }>();
    expect(body.deadLettered).toBe(false);
    expect(await flaky().ref(body.job.id).result({ timeout: "5s" })).toBe(8);
    expect(ran.has(ref.id)).toBe(false);
  });

  it("refuses to retry a running or complete job (409 naming the status)", async () => {
    started = deferred();
    const running = await waits().submit(null);
    await started.promise;
    const busy = await post(test.app, `/api/v1/jobs/${running.id}/retry`);
    expect(busy.statusCode).toBe(409);
    expect(errorOf(busy)).toMatchObject({ details: { status: "active" } });
    await post(test.app, `/api/v1/jobs/${running.id}/cancel`);
    failing = false;
    const done = await flaky().submit({ n: 5 });
    await done.result({ timeout: "5s" });
    const complete = await post(test.app, `/api/v1/jobs/${done.id}/retry`);
    expect(complete.statusCode).toBe(409);
    expect(errorOf(complete).message).toContain("'complete'");
  });

  it("pauses and resumes a function: jobs wait while paused and run after", async () => {
    failing = false;
    const paused = await post(test.app, "/api/v1/functions/flaky/pause");
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toMatchObject({ name: "flaky", paused: true });
    const ref = await flaky().submit({ n: 6 });
    await eventually(
      async () =>
        (await test.app.inject({ method: "POST", url: "/api/v1/functions/flaky/pause" })).json<{
          queued: number;
        }>().queued >= 1,
      "the job to wait in the paused queue",
    );
    expect(ran.has(ref.id)).toBe(false);
    const resumed = await post(test.app, "/api/v1/functions/flaky/resume");
    expect(resumed.json()).toMatchObject({ name: "flaky", paused: false });
    expect(await ref.result({ timeout: "5s" })).toBe(12);
  });

  it("answers 404 for an unknown function and 400 for a malformed name", async () => {
    const unknown = await post(test.app, "/api/v1/functions/no-such-function/pause");
    expect(unknown.statusCode).toBe(404);
    expect(errorOf(unknown).details).toEqual({ function: "no-such-function" });
    const bad = await post(test.app, "/api/v1/functions/%7Bbad%7D/resume");
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad).message).toContain("name");
  });
});

describe("job and function actions while Redis is down", () => {
  let outage: PrivateRedisApp;
  beforeAll(async () => {
    outage = await appOnPrivateRedis({ dialect: "sqlite", label: "job-actions-outage" });
  });
  afterAll(async () => {
    await outage.close();
  });

  const calls = [
    ["cancel", `/api/v1/jobs/${UNKNOWN_ID}/cancel`],
    ["retry", `/api/v1/jobs/${UNKNOWN_ID}/retry`],
    ["pause", "/api/v1/functions/some-function/pause"],
    ["resume", "/api/v1/functions/some-function/resume"],
  ] as const;

  it("answers 503 dependency_unavailable for every action, then recovers by itself", async () => {
    await outage.redis.stop();
    for (const [, url] of calls) {
      const response = await post(outage.test.app, url);
      expectUnavailable(response, "redis", url);
      expect(response.headers["retry-after"]).toBeDefined();
    }
    await outage.redis.restart();
    for (const [, url] of calls) {
      // Back: an unknown job or function is a 404 again.
      await eventually(
        async () => (await post(outage.test.app, url)).statusCode === 404,
        `${url} to recover`,
        15_000,
      );
    }
  });
});

describe.each(DIALECTS)("job actions while the database is down (%s)", (dialect) => {
  let outage: OutageApp;
  beforeAll(async () => {
    outage = await appWithDatabaseDown(dialect, "actions-db-down");
  });
  afterAll(async () => {
    await outage.close();
  });

  it("answers 503 when the history must tell an unknown id from an expired one", async () => {
    for (const action of ["cancel", "retry"]) {
      const response = await post(outage.app, `/api/v1/jobs/${UNKNOWN_ID}/${action}`);
      expectUnavailable(response, "database", action);
    }
  });
});
