/**
 * A real Fastify app with the `upnext/http` tracker (docs/http-apis.md), for the dashboard's
 * APIs tests: `GET /orders/:id` answers 200, `GET /orders/:id/slow` takes longer than the slow
 * threshold, `POST /orders` answers 502 (sampled as failed). `traffic()` sends a known mix and
 * reports it at once, so the history server has figures without waiting for the flush interval.
 */
import { setTimeout as sleep } from "node:timers/promises";
import Fastify from "fastify";
import { ApiTracker, fastifyTracking } from "upnext/http";

export const TRACKED_API = "orders-api";
const SLOW_MS = 120;

export interface TrackedApi {
  readonly url: string;
  /** Three fast GETs, one slow GET and one failing POST, then a flush; resolves to the count. */
  traffic(): Promise<number>;
  /** One failing POST, flushed: a new sampled request for the live stream. */
  fail(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTrackedApi(namespace: string, redisUrl: string): Promise<TrackedApi> {
  const tracker = new ApiTracker({
    name: TRACKED_API,
    version: "1.4.2",
    namespace,
    redis: redisUrl,
    slowThreshold: "60ms",
    flushInterval: "1h",
  });
  const app = Fastify();
  await app.register(fastifyTracking(tracker));
  app.get("/orders/:id", () => ({ ok: true }));
  app.get("/orders/:id/slow", async () => {
    await sleep(SLOW_MS);
    return { ok: true };
  });
  app.post("/orders", (_request, reply) => reply.code(502).send({ error: "upstream" }));
  app.get("/health", () => "ok");
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    url,
    async traffic() {
      const before = tracker.counters().requests;
      for (const id of ["1", "2", "3"]) await fetch(`${url}/orders/${id}`);
      await fetch(`${url}/orders/9/slow`);
      await fetch(`${url}/orders`, { method: "POST" });
      await tracker.flush();
      return tracker.counters().requests - before;
    },
    async fail() {
      await fetch(`${url}/orders`, { method: "POST" });
      await tracker.flush();
    },
    async stop() {
      await app.close();
      await tracker.stop();
    },
  };
}
