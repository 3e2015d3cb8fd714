/**
 * HTTP APIs in the history server (docs/http-apis.md), end to end on both databases: a real
 * `upnext/http` tracker on a real Fastify app reports through Redis, the ingester stores it,
 * and the REST routes and the live stream answer from it.
 */
import {
  type ApiList,
  type ApiRequestList,
  type ApiRouteDetail,
  STATUS_EVENT_FIELD,
  apiListSchema,
  apiRequestListSchema,
  apiRouteDetailSchema,
} from "@upnext/core";
import Fastify, { type FastifyInstance } from "fastify";
import { ApiTracker, fastifyTracking } from "upnext/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Ingester, startIngester } from "../src/ingest/ingester.js";
import { writeApiBatch } from "../src/store/api-history-writer.js";
import { DIALECTS } from "./helpers/database.js";
import { testConfig } from "./helpers/ingest.js";
import { SseClient } from "./helpers/sse-client.js";
import { type StreamApp, startStreamApp } from "./helpers/stream-app.js";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";

describe.each(DIALECTS)("HTTP APIs on %s", (dialect) => {
  let server: StreamApp;
  let ingester: Ingester;
  let tracker: ApiTracker;
  let api: FastifyInstance;
  let apiUrl: string;
  const name = `orders-${dialect}`;

  beforeAll(async () => {
    server = await startStreamApp({ label: `apis_${dialect}`, dialect });
    ingester = startIngester(server.deps, { blockMs: 100 });
    await ingester.ready(10_000);
    tracker = new ApiTracker({
      name,
      version: "2.0.0",
      namespace: server.namespace,
      config: testConfig({
        UPNEXT_REDIS_URL: server.deps.config.redisUrl,
        UPNEXT_HEARTBEAT_INTERVAL: "200ms",
      }),
      flushInterval: "1h",
    });
    api = Fastify();
    await api.register(fastifyTracking(tracker));
    api.get("/orders/:id", () => ({ ok: true }));
    api.get("/orders", () => []);
    api.post("/orders", (_request, reply) => reply.code(502).send({ error: "upstream" }));
    apiUrl = await api.listen({ port: 0, host: "127.0.0.1" });
  });

  afterAll(async () => {
    await api.close();
    await ingester.stop();
    await server.close();
  });

  const get = async <T>(url: string): Promise<T> => {
    const response = await server.app.inject({ method: "GET", url });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<T>();
  };

  it("lists the API with its live instance, declared routes and per-route figures", async () => {
    for (const id of ["1", "2", "3"]) await fetch(`${apiUrl}/orders/${id}`);
    await fetch(`${apiUrl}/orders`, {
      method: "POST",
      headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` },
    });
    await expect.poll(() => tracker.counters().requests).toBe(4);
    await tracker.flush();
    await ingester.drain();
    await expect
      .poll(async () => {
        const list = await get<ApiList>("/api/v1/apis");
        return list.items.find((item) => item.name === name)?.instances.length ?? 0;
      })
      .toBe(1);
    const list = apiListSchema.parse(await get<ApiList>("/api/v1/apis?hours=2"));
    const summary = list.items.find((item) => item.name === name);
    expect(summary).toMatchObject({ online: 1, totals: { count: 4 } });
    expect(summary?.instances[0]).toMatchObject({ id: tracker.instanceId, version: "2.0.0", online: true });
    const routes = Object.fromEntries(
      (summary?.routes ?? []).map((route) => [`${route.method} ${route.route}`, route]),
    );
    expect(routes["GET /orders/:id"]).toMatchObject({ count: 3, declared: true, errorRate: 0 });
    expect(routes["GET /orders/:id"]?.p50Ms).not.toBeNull();
    expect(routes["POST /orders"]).toMatchObject({ count: 1, errorRate: 1, statuses: { "5xx": 1 } });
    // Declared, never called: listed with zeros.
    expect(routes["GET /orders"]).toMatchObject({ count: 0, declared: true, p95Ms: null });

    const requests = apiRequestListSchema.parse(
      await get<ApiRequestList>(`/api/v1/apis/requests?api=${name}&reason=failed`),
    );
    expect(requests.items).toHaveLength(1);
    expect(requests.items[0]).toMatchObject({
      method: "POST",
      route: "/orders",
      status: 502,
      reason: "failed",
      traceId: TRACE_ID,
      instanceId: tracker.instanceId,
    });
  });

  it("answers a route's detail with percentiles from the merged histograms, per minute and per hour", async () => {
    // Fixed durations through the tracker itself: 90 fast requests and 10 slow ones.
    const now = Date.now();
    for (let index = 0; index < 100; index++) {
      tracker.record(
        {
          method: "GET",
          route: "/report",
          status: 200,
          durationMs: index < 90 ? 10 : 800,
          requestId: null,
          traceId: () => null,
        },
        now,
      );
    }
    await tracker.flush(now);
    await ingester.drain();
    const detail = apiRouteDetailSchema.parse(
      await get<ApiRouteDetail>(`/api/v1/apis/${name}/route?method=get&route=/report&hours=3`),
    );
    expect(detail.figures.count).toBe(100);
    // Interpolated inside a 25%-wide bucket (core/api-latency.ts).
    expect(detail.figures.p50Ms).toBeGreaterThan(10 / 1.25);
    expect(detail.figures.p50Ms).toBeLessThanOrEqual(10 * 1.25);
    expect(detail.figures.p99Ms).toBeGreaterThan(800 / 1.25);
    expect(detail.figures.p99Ms).toBeLessThanOrEqual(800 * 1.25);
    expect(detail.figures.avgMs).toBeCloseTo((90 * 10 + 10 * 800) / 100, 5);
    expect(detail.minutes).toHaveLength(60);
    expect(detail.hours).toHaveLength(3);
    expect(detail.minutes.reduce((sum, point) => sum + point.count, 0)).toBe(100);
    expect(detail.hours.at(-1)?.count).toBe(100);
  });

  it("stores a report delivered twice, or an older one after a newer, only once", async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const report = (count: number) => ({
      type: "api.stats" as const,
      api: name,
      instanceId: "replayed-0000abcd",
      at: minute,
      data: {
        minute,
        routes: [
          {
            method: "DELETE",
            route: "/orders/:id",
            count,
            statuses: { "1xx": 0, "2xx": count, "3xx": 0, "4xx": 0, "5xx": 0 },
            durationMs: count,
            buckets: [[2, count]] as [number, number][],
          },
        ],
      },
    });
    await writeApiBatch(server.deps.database, [{ id: "1-1", event: report(5) }]);
    await writeApiBatch(server.deps.database, [
      { id: "1-1", event: report(5) },
      { id: "1-2", event: report(3) },
    ]);
    const detail = await get<ApiRouteDetail>(`/api/v1/apis/${name}/route?method=DELETE&route=/orders/:id`);
    expect(detail.figures.count).toBe(5);
  });

  it("streams slow and failed requests live, filtered by API", async () => {
    const client = await SseClient.open(`${server.base}/api/v1/apis/stream?api=${name}&reason=failed`);
    try {
      expect(client.status).toBe(200);
      await client.take("ready", 1);
      // Another API's failure does not reach this stream.
      await server.redis.xadd(
        server.deps.keys.events,
        "*",
        STATUS_EVENT_FIELD,
        JSON.stringify({
          type: "api.request",
          api: "someone-else",
          instanceId: "else-00000001",
          at: Date.now(),
          data: {
            method: "GET",
            route: "/x",
            status: 500,
            durationMs: 1,
            requestId: null,
            traceId: null,
            reason: "failed",
          },
        }),
      );
      await fetch(`${apiUrl}/orders`, { method: "POST" });
      const [message] = await client.take("request", 1);
      expect(JSON.parse(message?.data ?? "{}")).toMatchObject({
        type: "api.request",
        api: name,
        data: { method: "POST", route: "/orders", status: 502 },
      });
      expect(client.ofType("request")).toHaveLength(1);
    } finally {
      client.close();
    }
  });

  it("rejects bad parameters with the parameter's name, and documents the routes", async () => {
    const badName = await server.app.inject({
      method: "GET",
      url: "/api/v1/apis/has%20space/route?method=GET&route=/x",
    });
    expect(badName.statusCode).toBe(400);
    expect(badName.body).toContain("name");
    const badMethod = await server.app.inject({
      method: "GET",
      url: `/api/v1/apis/${name}/route?method=G-T&route=/x`,
    });
    expect(badMethod.statusCode).toBe(400);
    expect(badMethod.body).toContain("method");
    const missingRoute = await server.app.inject({
      method: "GET",
      url: `/api/v1/apis/${name}/route?method=GET`,
    });
    expect(missingRoute.statusCode).toBe(400);
    expect(missingRoute.body).toContain("route");
    const spec = await get<{ paths: Record<string, unknown> }>("/api/v1/docs/json");
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/apis",
        "/api/v1/apis/{name}/route",
        "/api/v1/apis/requests",
        "/api/v1/apis/stream",
      ]),
    );
  });

  it("drops the instance from the list once it stopped", async () => {
    await api.close();
    await tracker.stop();
    const list = await get<ApiList>("/api/v1/apis");
    expect(list.items.find((item) => item.name === name)?.instances).toEqual([]);
  });
});
