/**
 * Request tracking (`upnext/http`) against real Fastify, Express and Hono servers and a real
 * Redis: per-route-template figures, sampled slow and failed requests (nothing of bodies or
 * auth headers), the instance heartbeat, and the trace context jobs submitted in a request carry.
 */
import { serve, type ServerType } from "@hono/node-server";
import { type ApiEvent, type StatusEvent, functionKeys } from "@upnext/core";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import type { Redis } from "ioredis";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApiTracker, expressTracking, fastifyTracking, honoTracking } from "../src/http/index.js";
import { InvalidOptionError, type Worker } from "../src/index.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { readEvents, testConfig, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("http-tracking");
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SECRET = "Bearer very-secret-token";
const BODY_SECRET = "body-secret-value";

let redis: Redis;
let worker: Worker;
const emails = () => worker.tasks.get("send-email");

beforeAll(() => {
  redis = redisClient();
  worker = testWorker(namespace);
  worker.task("send-email", {}, (input: { to: string }) => input.to);
});

afterAll(async () => {
  await worker.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

const stopAfter: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stopAfter.splice(0)) await stop();
});

function tracker(
  name: string,
  overrides: Partial<ConstructorParameters<typeof ApiTracker>[0]> = {},
): ApiTracker {
  const created = new ApiTracker({
    name,
    version: "1.2.3",
    namespace,
    config: testConfig(),
    slowThreshold: 40,
    flushInterval: "1h",
    ...overrides,
  });
  stopAfter.push(() => created.stop());
  return created;
}

async function apiEvents(api: string): Promise<ApiEvent[]> {
  const events: StatusEvent[] = await readEvents(redis, namespace);
  return events.filter((event): event is ApiEvent => "instanceId" in event && event.api === api);
}

/** The figures the tracker reported for a route (the latest cumulative report of each minute). */
async function routeCount(api: string, method: string, route: string): Promise<number> {
  const latest = new Map<number, number>();
  for (const event of await apiEvents(api)) {
    if (event.type !== "api.stats") continue;
    for (const stats of event.data.routes) {
      if (stats.method === method && stats.route === route) latest.set(event.data.minute, stats.count);
    }
  }
  return [...latest.values()].reduce((sum, count) => sum + count, 0);
}

interface Running {
  readonly url: string;
  close(): Promise<void>;
}

/** The same four endpoints on each framework: a templated route, a failure, a slow one, and a submit. */
async function startFastify(api: ApiTracker): Promise<Running> {
  const app = Fastify();
  await app.register(fastifyTracking(api));
  app.get("/users/:id", () => ({ ok: true }));
  app.post("/boom", () => {
    throw new Error("boom");
  });
  app.get("/slow", async () => {
    await sleep(60);
    return "slow";
  });
  app.post("/signup", async (request, reply) => {
    const ref = await emails()?.submit({ to: "a@example.com" });
    return reply.code(Number((request.query as { status?: string }).status ?? 200)).send({ id: ref?.id });
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { url, close: () => app.close() };
}

async function startExpress(api: ApiTracker): Promise<Running> {
  const app = express();
  app.use(expressTracking(api));
  app.use(express.json());
  const users = express.Router();
  users.get("/:id", (_request, response) => {
    response.json({ ok: true });
  });
  app.use("/users", users);
  app.post("/boom", () => {
    throw new Error("boom");
  });
  app.get("/slow", async (_request, response) => {
    await sleep(60);
    response.send("slow");
  });
  app.post("/signup", async (request, response) => {
    const ref = await emails()?.submit({ to: "a@example.com" });
    response.status(Number(request.query.status ?? 200)).json({ id: ref?.id });
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => {
      resolve(listening);
    });
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

async function startHono(api: ApiTracker): Promise<Running> {
  const app = new Hono();
  app.use(honoTracking(api, app));
  app.get("/users/:id", (c) => c.json({ ok: true }));
  app.post("/boom", () => {
    throw new Error("boom");
  });
  app.get("/slow", async (c) => {
    await sleep(60);
    return c.text("slow");
  });
  app.post("/signup", async (c) => {
    const ref = await emails()?.submit({ to: "a@example.com" });
    return c.json({ id: ref?.id }, Number(c.req.query("status") ?? 200) as 200);
  });
  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => {
      resolve(started);
    });
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

const FRAMEWORKS = [
  ["fastify", startFastify],
  ["express", startExpress],
  ["hono", startHono],
] as const;

async function jobTrace(jobId: string): Promise<string | null> {
  return redis.hget(functionKeys(namespace, "send-email").job(jobId), "trace");
}

describe.each(FRAMEWORKS)("%s", (framework, start) => {
  it("counts requests per route template and samples slow and failed ones, without secrets", async () => {
    const name = `shop-${framework}`;
    const api = tracker(name);
    const app = await start(api);
    stopAfter.unshift(() => app.close());
    const headers = { authorization: SECRET, "x-request-id": "req-42", "content-type": "application/json" };
    for (const id of ["1", "2", "42"]) expect((await fetch(`${app.url}/users/${id}`)).status).toBe(200);
    const failed = await fetch(`${app.url}/boom`, {
      method: "POST",
      headers,
      body: JSON.stringify({ BODY_SECRET }),
    });
    expect(failed.status).toBe(500);
    expect((await fetch(`${app.url}/slow`)).status).toBe(200);
    expect((await fetch(`${app.url}/no/such/path`)).status).toBe(404);

    await eventually(() => api.counters().requests === 6, "six requests recorded");
    await api.flush();
    await eventually(
      async () => (await routeCount(name, "GET", "/users/:id")) === 3,
      "the /users/:id figures",
    );
    expect(await routeCount(name, "POST", "/boom")).toBe(1);
    expect(await routeCount(name, "GET", "(unmatched)")).toBe(1);

    const events = await apiEvents(name);
    const stats = events.flatMap((event) => (event.type === "api.stats" ? event.data.routes : []));
    const boom = stats.find((route) => route.route === "/boom");
    expect(boom?.statuses).toEqual({ "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 1 });
    const slowStats = stats.find((route) => route.route === "/slow");
    expect(slowStats?.buckets.reduce((sum, [, count]) => sum + count, 0)).toBe(1);

    const samples = await eventually(async () => {
      const found = (await apiEvents(name)).filter((event) => event.type === "api.request");
      return found.length >= 2 ? found : undefined;
    }, "the sampled requests");
    const byRoute = Object.fromEntries(samples.map((event) => [event.data.route, event.data]));
    expect(byRoute["/boom"]).toMatchObject({ method: "POST", status: 500, reason: "failed" });
    if (framework !== "fastify") expect(byRoute["/boom"]?.requestId).toBe("req-42");
    else expect(byRoute["/boom"]?.requestId).toMatch(/\S/);
    expect(byRoute["/slow"]).toMatchObject({ method: "GET", status: 200, reason: "slow" });
    expect(byRoute["/slow"]?.durationMs).toBeGreaterThanOrEqual(40);

    const raw = JSON.stringify(await redis.xrange(`${namespace}:events`, "-", "+"));
    expect(raw).not.toContain("very-secret-token");
    expect(raw).not.toContain(BODY_SECRET);
    expect(raw).not.toContain("/users/42");
    expect(raw).not.toContain("/no/such/path");
  });

  it("heartbeats the instance with its routes and leaves the registry on stop", async () => {
    const name = `catalog-${framework}`;
    const api = tracker(name);
    const app = await start(api);
    await fetch(`${app.url}/users/7`);
    const record = await eventually(async () => {
      const hash = await redis.hgetall(`${namespace}:api:${api.instanceId}`);
      return hash.routes?.includes("/slow") === true ? hash : undefined;
    }, "the instance record with its declared routes");
    expect(record).toMatchObject({ api: name, version: "1.2.3", pid: String(process.pid) });
    const routes = JSON.parse(record.routes ?? "[]") as { method: string; route: string }[];
    expect(routes).toEqual(
      expect.arrayContaining([
        { method: "POST", route: "/boom" },
        { method: "GET", route: "/slow" },
      ]),
    );
    expect(await redis.zscore(`${namespace}:apis`, api.instanceId)).not.toBeNull();

    await app.close();
    await api.stop();
    expect(await redis.exists(`${namespace}:api:${api.instanceId}`)).toBe(0);
    expect(await redis.zscore(`${namespace}:apis`, api.instanceId)).toBeNull();
    // The figures recorded before the stop were reported by it.
    expect(await routeCount(name, "GET", "/users/:id")).toBe(1);
  });

  it("gives jobs submitted in a request the request's trace context", async () => {
    const name = `signup-${framework}`;
    const api = tracker(name);
    const app = await start(api);
    stopAfter.unshift(() => app.close());
    const incoming = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
    const withParent = await fetch(`${app.url}/signup`, {
      method: "POST",
      headers: { traceparent: incoming },
    });
    const { id: first } = (await withParent.json()) as { id: string };
    expect(await jobTrace(first)).toBe(incoming);

    // Without a traceparent the request gets a trace id, shared by its jobs and its sample.
    const failing = await fetch(`${app.url}/signup?status=503`, { method: "POST" });
    expect(failing.status).toBe(503);
    const { id: second } = (await failing.json()) as { id: string };
    const generated = await jobTrace(second);
    expect(generated).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const sample = await eventually(
      async () =>
        (await apiEvents(name)).find((event) => event.type === "api.request" && event.data.status === 503),
      "the failed request's sample",
    );
    expect(sample.type === "api.request" ? sample.data.traceId : null).toBe(generated?.slice(3, 35));
  });
});

describe("the tracker", () => {
  it("samples at most maxSamplesPerSecond and counts the rest", () => {
    const api = new ApiTracker({ name: "storm", namespace, config: testConfig(), maxSamplesPerSecond: 2 });
    const now = 1_800_000_000_000;
    for (let index = 0; index < 5; index++) {
      api.record(
        { method: "GET", route: "/x", status: 503, durationMs: 1, requestId: null, traceId: () => null },
        now,
      );
    }
    api.record(
      { method: "GET", route: "/x", status: 503, durationMs: 1, requestId: null, traceId: () => null },
      now + 1_000,
    );
    expect(api.counters()).toMatchObject({ requests: 6, sampled: 3, samplesDropped: 3 });
  });

  it("rejects a bad name, an unknown option and a negative sample rate, naming them", () => {
    const config = testConfig();
    expect(() => new ApiTracker({ name: "has space", config })).toThrow(InvalidOptionError);
    expect(() => new ApiTracker({ name: "has space", config })).toThrow(/name/);
    expect(() => new ApiTracker({ name: "ok", config, slowMs: 5 } as never)).toThrow(
      /slowMs.*not an ApiTracker option/,
    );
    expect(() => new ApiTracker({ name: "ok", config, maxSamplesPerSecond: -1 })).toThrow(
      /maxSamplesPerSecond/,
    );
    expect(() => new ApiTracker({ name: "ok", config, flushInterval: 0 })).toThrow(/flushInterval/);
  });
});
