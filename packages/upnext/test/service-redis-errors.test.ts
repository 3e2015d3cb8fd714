/**
 * Failed Redis round trips of the cron scheduler, the event subscriptions and the DAG resolver
 * are counted in `redisErrors` (and `upnext_redis_errors_total`), like the worker's own loops.
 * Each test kills a private redis-server under the component (never the shared one).
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NamespaceClient } from "../src/runtime/namespace-client.js";
import { DependencyResolver } from "../src/runtime/flow/dependency-resolver.js";
import { EventSubscriptions } from "../src/runtime/flow/event-subscriptions.js";
import { Worker } from "../src/index.js";
import { PrivateRedis } from "./helpers/private-redis.js";
import { eventually, testNamespace } from "./helpers/redis.js";
import { testConfig } from "./helpers/worker.js";

const silent = pino({ level: "silent" });
// Fail fast while the server is down, instead of queueing commands until it returns.
const redisOptions = { maxRetriesPerRequest: 0, retryStrategy: () => 100, enableOfflineQueue: false };
let server: PrivateRedis;

beforeAll(async () => {
  server = await PrivateRedis.start();
});

afterAll(async () => {
  await server.stop();
});

describe("redisErrors of the worker's services", () => {
  it("counts failed cron passes, and serves them as upnext_redis_errors_total{operation=cron}", async () => {
    await server.restart();
    const config = testConfig({ UPNEXT_REDIS_URL: server.url, UPNEXT_CRON_INTERVAL: "20ms" });
    const worker = new Worker({
      name: "cron-errors",
      namespace: testNamespace("svc-errors"),
      handleSignals: false,
      config,
      redis: server.url,
      // Queued while connecting (start must succeed), rejected at the first failed reconnect.
      redisOptions: { maxRetriesPerRequest: 0, retryStrategy: () => 100 },
      shutdownTimeout: "100ms",
    });
    worker.cron("every-second", "* * * * * *", {}, () => null);
    await worker.start();
    try {
      expect(worker.metrics().redisErrors).toMatchObject({ cron: 0, event_subscriptions: 0, dag_resolve: 0 });
      await server.stop();
      await eventually(() => worker.metrics().redisErrors.cron > 0, "a failed cron pass counted");
      const text = await worker.prometheusRegistry.metrics();
      expect(text).toMatch(/upnext_redis_errors_total\{[^}]*operation="cron"[^}]*\} [1-9]/);
    } finally {
      await server.restart();
      await worker.stop();
    }
  }, 60_000);

  it("counts failed refreshes of the event subscriptions", async () => {
    await server.restart();
    const namespace = testNamespace("svc-errors");
    const connection = new NamespaceClient({
      redis: server.url,
      namespace,
      redisOptions,
      logger: silent,
      config: testConfig(),
    });
    const definer = new Worker({ name: "events", namespace, handleSignals: false, config: testConfig() });
    const handler = definer.task("audit", {}, () => null);
    await eventually(() => connection.redis.status === "ready", "the connection ready");
    const service = new EventSubscriptions("events", 20);
    service.add(handler.definition, "order.*");
    await service.start({ workerId: "events-1", connection, logger: silent });
    try {
      expect(service.redisErrors).toEqual({ operation: "event_subscriptions", count: 0 });
      await server.stop();
      await eventually(() => service.redisErrors.count > 0, "a failed refresh counted");
    } finally {
      await service.stop();
      await server.restart();
      await connection.close();
      await definer.stop();
    }
  }, 60_000);

  it("counts DAG children it could not resolve (left for the reconciler)", async () => {
    await server.restart();
    const connection = new NamespaceClient({
      redis: server.url,
      namespace: testNamespace("svc-errors"),
      redisOptions,
      logger: silent,
      config: testConfig(),
    });
    const resolver = new DependencyResolver(connection.backend, connection.publisher, null, silent);
    try {
      // Connected first: the failure below is the outage, not a slow start.
      await eventually(() => connection.redis.status === "ready", "the connection ready");
      await server.stop();
      await resolver.resolve([
        { function: "load", id: "child-1", parentId: "parent-1", parentOutcome: "complete" },
        { function: "load", id: "child-2", parentId: "parent-1", parentOutcome: "complete" },
      ]);
      expect(resolver.failures).toBe(2);
    } finally {
      await server.restart();
      await connection.close();
    }
  }, 60_000);
});
