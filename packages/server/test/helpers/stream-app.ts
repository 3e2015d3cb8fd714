/**
 * A server with a live-stream hub, listening on a free port, on real Redis (the shared one or a
 * PrivateRedis) under a namespace of its own. Status events are produced the way workers do:
 * XADD to the status stream, field "e".
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { STATUS_EVENT_FIELD, type JobEvent } from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { type Logger, pino } from "pino";
import { buildApp } from "../../src/app.js";
import { createDependencies, type ServerDependencies } from "../../src/connections/server-dependencies.js";
import { openServerRedis } from "../../src/connections/server-redis.js";
import { type StreamHub, type StreamHubOptions, createStreamHub } from "../../src/sse/stream-hub.js";
import type { DialectName } from "../../src/store/database.js";
import { REDIS_URL, testConfig, testNamespace } from "./app.js";
import { type TestDatabase, createTestDatabase } from "./database.js";

export interface StreamApp {
  readonly app: FastifyInstance;
  readonly deps: ServerDependencies;
  readonly hub: StreamHub;
  /** http://127.0.0.1:<port> */
  readonly base: string;
  readonly redis: Redis;
  readonly namespace: string;
  readonly database: TestDatabase;
  /** XADDs a status event; resolves with its entry id. */
  publish(event: object): Promise<string>;
  /** Waits until the hub's stats satisfy `condition`. */
  until(condition: (stats: ReturnType<StreamHub["stats"]>) => boolean, what?: string): Promise<void>;
  close(): Promise<void>;
}

export interface StreamAppOptions {
  readonly label: string;
  /** The history database (default sqlite: most stream tests do not touch it). */
  readonly dialect?: DialectName;
  readonly redisUrl?: string;
  readonly env?: Record<string, string>;
  readonly hub?: StreamHubOptions;
  /** Extra routes registered before the app is ready (a route "added later" by another module). */
  readonly extraRoutes?: (app: FastifyInstance) => void;
  /** The app's logger (default silent); tests that read the log lines pass their own. */
  readonly logger?: Logger;
  /** Wait for the hub's readers (default true; false when Redis is down at start). */
  readonly waitReady?: boolean;
}

const WAIT_LIMIT_MS = 15_000;

export async function startStreamApp(options: StreamAppOptions): Promise<StreamApp> {
  const namespace = testNamespace(options.label);
  const artifactsDir = mkdtempSync(join(tmpdir(), "upnext-sse-artifacts-"));
  const config = testConfig({
    UPNEXT_NAMESPACE: namespace,
    UPNEXT_ARTIFACTS_DIR: artifactsDir,
    ...options.env,
  });
  const database: TestDatabase = await createTestDatabase(options.dialect ?? "sqlite", options.label);
  const redis = openServerRedis(options.redisUrl ?? REDIS_URL);
  if (options.waitReady !== false) {
    await new Promise<void>((resolve) => {
      if (redis.status === "ready") resolve();
      else
        redis.once("ready", () => {
          resolve();
        });
    });
  }
  const deps = createDependencies({ config, redis, database: database.database, probeIntervalMs: 100 });
  const hub = createStreamHub(deps, options.hub);
  await hub.start();
  const app = await buildApp({ deps, hub, logger: options.logger ?? pino({ level: "silent" }) });
  const { extraRoutes } = options;
  if (extraRoutes) {
    app.register((scope, _options, done) => {
      extraRoutes(scope);
      done();
    });
  }
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  if (options.waitReady !== false) await hub.ready();
  return {
    app,
    deps,
    hub,
    base: `http://127.0.0.1:${port}`,
    redis,
    namespace,
    database,
    publish: async (event) =>
      (await redis.xadd(deps.keys.events, "*", STATUS_EVENT_FIELD, JSON.stringify(event))) ?? "",
    until: async (condition, what = "hub condition") => {
      const deadline = Date.now() + WAIT_LIMIT_MS;
      while (!condition(hub.stats())) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}: ${JSON.stringify(hub.stats())}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: async () => {
      await hub.stop();
      await app.close();
      deps.stop();
      if (redis.status === "ready") {
        const keys = await redis.keys(`${namespace}:*`).catch(() => []);
        if (keys.length > 0) await redis.unlink(...keys).catch(() => undefined);
      }
      redis.disconnect();
      await database.destroy();
      rmSync(artifactsDir, { recursive: true, force: true });
    },
  };
}

let sequence = 0;

/** A valid job event of the status-event contract (a progress update unless `type` says otherwise). */
export function jobEvent(overrides: Partial<JobEvent> & { jobId: string; function: string }): JobEvent {
  sequence += 1;
  return {
    type: "progress",
    attempt: 1,
    parentId: null,
    rootId: overrides.jobId,
    workerId: "worker-test",
    at: Date.now(),
    data: { progress: (sequence % 100) / 100 },
    ...overrides,
  } as JobEvent;
}
