/**
 * A hello-world HTTP server for the http benchmark (http.ts), in a process of its own so the
 * load generator does not share its event loop: `<framework> <plain|tracked> <namespace>`.
 * Prints `port <n>` on stdout once listening; on SIGTERM prints `cpu <µs>` (CPU time since
 * listening) and stops, flushing the tracker.
 */
import { serve } from "@hono/node-server";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiTracker, expressTracking, fastifyTracking, honoTracking } from "upnext/http";

const [framework = "fastify", mode = "plain", namespace = "bench-http"] = process.argv.slice(2);
const tracked = mode === "tracked";
const tracker = tracked ? new ApiTracker({ name: `bench-${framework}`, namespace }) : undefined;

async function start(): Promise<{ port: number; close: () => Promise<void> }> {
  if (framework === "fastify") {
    const app = Fastify();
    if (tracker) await app.register(fastifyTracking(tracker));
    app.get("/hello/:name", () => ({ hello: "world" }));
    await app.listen({ port: 0, host: "127.0.0.1" });
    return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
  }
  let server: Server;
  if (framework === "express") {
    const app = express();
    if (tracker) app.use(expressTracking(tracker));
    app.get("/hello/:name", (_request, response) => {
      response.json({ hello: "world" });
    });
    server = app.listen(0, "127.0.0.1");
  } else {
    const app = new Hono();
    if (tracker) app.use(honoTracking(tracker, app));
    app.get("/hello/:name", (c) => c.json({ hello: "world" }));
    server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
  }
  await new Promise<void>((resolve) => {
    if (server.listening) resolve();
    else server.once("listening", resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

const cpuMicros = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

const running = await start();
const cpuAtStart = cpuMicros();
process.stdout.write(`port ${running.port}\n`);
process.once("SIGTERM", () => {
  // CPU time spent serving (the load generator runs in another process).
  process.stdout.write(`cpu ${cpuMicros() - cpuAtStart}\n`);
  void running
    .close()
    .then(() => tracker?.stop())
    .then(() => process.exit(0));
});
