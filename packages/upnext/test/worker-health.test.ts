/**
 * The worker's health endpoint against a private `redis-server` that the test stops and starts
 * again: /health keeps answering, /ready turns 503 (saying which check failed) while Redis is
 * gone and 200 once it is back, /metrics keeps serving and counts the failed round trips.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HealthEndpoint, Worker } from "../src/index.js";
import { PrivateRedis } from "./helpers/private-redis.js";
import { scrape, valueOf } from "./helpers/prometheus.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { testConfig, testWorker } from "./helpers/worker.js";

interface ReadyBody {
  readonly status: string;
  readonly failed: string[];
  readonly checks: Record<string, { ok: boolean; detail: string }>;
}

async function get(url: string): Promise<{ status: number; body: ReadyBody }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as ReadyBody };
}

describe("health and readiness across a Redis outage", () => {
  let redisServer: PrivateRedis;
  let worker: Worker;
  let endpoint: HealthEndpoint;

  beforeAll(async () => {
    redisServer = await PrivateRedis.start();
    worker = testWorker(
      testNamespace("health"),
      // Give up on a command after one reconnect attempt, so the outage shows in the error counts soon.
      { name: "health", redis: redisServer.url, redisOptions: { maxRetriesPerRequest: 1 } },
      testConfig({ UPNEXT_HEARTBEAT_INTERVAL: "200ms" }),
    );
    worker.task("h-echo", {}, (input: number) => input);
    endpoint = await worker.serveHealth({ port: 0, host: "127.0.0.1" });
  });

  afterAll(async () => {
    // The worker stops cleanly only with Redis up: bring it back if a test left it down.
    await redisServer.restart();
    await worker.stop();
    await redisServer.stop();
  });

  it("is alive but not ready before the worker starts", async () => {
    const health = await fetch(`${endpoint.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", workerId: null });
    const ready = await get(`${endpoint.url}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body.failed).toContain("started");
    expect(ready.body.checks.started?.ok).toBe(false);
  });

  it("is ready once started, turns 503 when Redis stops, and ready again when it is back", async () => {
    await worker.start();
    const ready = await get(`${endpoint.url}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ready", failed: [] });
    expect(ready.body.checks.redis?.ok).toBe(true);
    expect(ready.body.checks.registration?.ok).toBe(true);
    const echo = worker.tasks.get("h-echo");
    if (!echo) throw new Error("no h-echo task");
    expect(await (await echo.submit(1)).result({ timeout: "5s" })).toBe(1);

    await redisServer.stop();
    const down = await eventually(async () => {
      const answer = await get(`${endpoint.url}/ready`);
      return answer.status === 503 ? answer : undefined;
    }, "/ready to answer 503");
    expect(down.body.status).toBe("not ready");
    expect(down.body.failed).toContain("redis");
    expect(down.body.checks.redis?.ok).toBe(false);
    expect(down.body.checks.shutdown?.ok).toBe(true);
    // Liveness does not depend on Redis, and metrics are served from memory.
    expect((await fetch(`${endpoint.url}/health`)).status).toBe(200);
    const during = await eventually(async () => {
      const current = await scrape(`${endpoint.url}/metrics`);
      return valueOf(current, "upnext_redis_errors_total") > 0 ? current : undefined;
    }, "failed Redis round trips to be counted");
    expect(valueOf(during, "upnext_redis_errors_total")).toBeGreaterThan(0);
    // The registration goes stale once heartbeats have failed for longer than its lifetime.
    await eventually(
      async () => (await get(`${endpoint.url}/ready`)).body.failed.includes("registration"),
      "a stale registration",
    );

    await redisServer.restart();
    const up = await eventually(
      async () => {
        const answer = await get(`${endpoint.url}/ready`);
        return answer.status === 200 ? answer : undefined;
      },
      "/ready to answer 200 again",
      20_000,
    );
    expect(up.body.failed).toEqual([]);
    expect(await (await echo.submit(2)).result({ timeout: "10s" })).toBe(2);
  });

  it("reports shutting down while the worker stops", async () => {
    const stopping = worker.stop();
    const answer = await get(`${endpoint.url}/ready`).catch(() => undefined);
    await stopping;
    if (answer) {
      expect(answer.status).toBe(503);
      expect(answer.body.failed).toContain("shutdown");
    }
    // Stopping the worker closes its endpoint.
    await expect(fetch(`${endpoint.url}/health`)).rejects.toThrow();
  });
});

describe("UPNEXT_WORKER_HTTP_PORT", () => {
  it("opens the endpoint when the worker starts and closes it when it stops", async () => {
    const namespace = testNamespace("health-env");
    const worker = testWorker(namespace, { name: "env" }, testConfig({ UPNEXT_WORKER_HTTP_PORT: "0" }));
    worker.task("env-echo", {}, (input: number) => input);
    expect(worker.healthEndpoint).toBeUndefined();
    await worker.start();
    try {
      const endpoint = worker.healthEndpoint;
      if (!endpoint) throw new Error("no endpoint after start()");
      expect(endpoint.port).toBeGreaterThan(0);
      const ready = await get(`${endpoint.url}/ready`);
      expect(ready.status).toBe(200);
      await expect(worker.serveHealth({ port: 0 })).rejects.toThrow(/already serves/);
    } finally {
      await worker.stop();
      const redis = redisClient();
      await deleteNamespace(redis, namespace);
      redis.disconnect();
    }
    expect(worker.healthEndpoint).toBeUndefined();
  });
});
