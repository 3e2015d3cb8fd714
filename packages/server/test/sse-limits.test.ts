import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiErrorEnvelopeSchema } from "@upnext/core";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/server.js";
import { REDIS_URL, testConfig, testNamespace } from "./helpers/app.js";
import { SseClient } from "./helpers/sse-client.js";
import { type StreamApp, jobEvent, startStreamApp } from "./helpers/stream-app.js";

describe("connection caps", () => {
  let server: StreamApp;
  beforeAll(async () => {
    server = await startStreamApp({
      label: "sse-caps",
      env: { UPNEXT_SSE_MAX_CONNECTIONS: "3", UPNEXT_SSE_MAX_PER_CLIENT: "2" },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers over a client's share with 429 and over the total with 503, in the envelope", async () => {
    const open = (path: string, address: string) => SseClient.open(`${server.base}${path}`, {}, address);
    const first = await open("/api/v1/jobs/stream", "127.0.0.1");
    const second = await open("/api/v1/workers/stream", "127.0.0.1");
    expect([first.status, second.status]).toEqual([200, 200]);

    const third = await open("/api/v1/jobs/stream", "127.0.0.1");
    expect(third.status).toBe(429);
    expect(third.headers["retry-after"]).toMatch(/^\d+$/);
    const perClient = apiErrorEnvelopeSchema.parse(await third.json());
    expect(perClient.error.code).toBe("too_many_connections");
    expect(perClient.error.details).toMatchObject({ scope: "client", limit: 2 });
    expect(perClient.error.requestId).toBe(third.headers["x-request-id"]);

    // Another client still has its share, up to the total.
    const other = await open("/api/v1/jobs/stream", "127.0.0.2");
    expect(other.status).toBe(200);
    const overTotal = await open("/api/v1/jobs/stream", "127.0.0.3");
    expect(overTotal.status).toBe(503);
    expect(overTotal.headers["retry-after"]).toMatch(/^\d+$/);
    const total = apiErrorEnvelopeSchema.parse(await overTotal.json());
    expect(total.error.code).toBe("too_many_connections");
    expect(total.error.details).toMatchObject({ scope: "server", limit: 3 });

    // A closed stream gives its slot back.
    first.close();
    await server.until((stats) => stats.connections === 2, "the closed stream to be released");
    const again = await open("/api/v1/jobs/stream", "127.0.0.1");
    expect(again.status).toBe(200);
    for (const client of [second, other, again]) client.close();
    await server.until((stats) => stats.connections === 0, "every stream to be released");
  });
});

describe("a client that stops reading", () => {
  let server: StreamApp;
  const bound = 256 * 1024;
  beforeAll(async () => {
    server = await startStreamApp({
      label: "sse-slow",
      hub: { maxBufferedBytes: bound, slowClientGraceMs: 0 },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("is disconnected once its queue passes the bound, while a reading client gets everything", async () => {
    const slow = await SseClient.open(`${server.base}/api/v1/jobs/stream`);
    const fast = await SseClient.open(`${server.base}/api/v1/jobs/stream`);
    await slow.take("ready", 1);
    await fast.take("ready", 1);
    slow.pause();
    const big = "x".repeat(64 * 1024);
    let published = 0;
    // However large the kernel's socket buffers are, the slow client's queue fills up eventually.
    while (server.hub.stats().droppedSlowClients === 0) {
      if (published >= 1_000) throw new Error("the slow client was never dropped");
      await server.publish(
        jobEvent({
          jobId: `big-${published}`,
          function: "fn.big",
          type: "log",
          data: { level: "info", message: big },
        }),
      );
      published += 1;
    }
    await server.until((stats) => stats.connections === 1, "the slow client to be gone");
    // The fast client missed nothing.
    await fast.take("job", published);
    expect(fast.ofType("job")).toHaveLength(published);
    // The slow one, reading again, finds its stream ended short.
    slow.resume();
    await slow.closedByServer();
    expect(slow.ofType("job").length).toBeLessThan(published);
    fast.close();
  });
});

describe("the server process", () => {
  it("serves live streams (the dashboard's from the read API) and ends them when it closes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "upnext-sse-server-"));
    const server = await startServer({
      config: testConfig({
        UPNEXT_NAMESPACE: testNamespace("sse-server"),
        UPNEXT_DATABASE_URL: `sqlite:${join(dir, "history.db")}`,
        UPNEXT_ARTIFACTS_DIR: join(dir, "artifacts"),
        UPNEXT_REDIS_URL: REDIS_URL,
      }),
      host: "127.0.0.1",
      port: 0,
      logger: pino({ level: "silent" }),
    });
    try {
      const clients = await Promise.all([
        SseClient.open(`${server.url}/api/v1/jobs/stream`),
        SseClient.open(`${server.url}/api/v1/workers/stream`),
        SseClient.open(`${server.url}/api/v1/dashboard/stream`),
      ]);
      for (const client of clients) await client.take("ready", 1);
      const [dashboard] = await clients[2].take("snapshot", 1);
      expect(JSON.parse(dashboard?.data ?? "{}")).toHaveProperty("snapshot.workers");
      await server.close();
      for (const client of clients) await client.closedByServer();
    } finally {
      await server.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
