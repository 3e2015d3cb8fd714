/**
 * A server app against real dependencies: the shared Redis (or a private one) under a namespace
 * of the test file's own, and a fresh SQLite file or PostgreSQL schema.
 */
import { type Config, loadConfig } from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { pino } from "pino";
import { buildApp } from "../../src/app.js";
import { createDependencies, type ServerDependencies } from "../../src/dependencies/server-dependencies.js";
import { openServerRedis } from "../../src/dependencies/server-redis.js";
import type { DialectName } from "../../src/store/database.js";
import { type TestDatabase, createTestDatabase } from "./database.js";
import { randomBytes } from "node:crypto";

export const REDIS_URL = process.env.UPNEXT_REDIS_URL ?? "redis://127.0.0.1:6379";

export function testNamespace(label: string): string {
  return `ts-${label}-${randomBytes(3).toString("hex")}`;
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly deps: ServerDependencies;
  readonly config: Config;
  readonly redis: Redis;
  readonly database: TestDatabase;
  readonly namespace: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  readonly dialect: DialectName;
  readonly label: string;
  readonly redisUrl?: string;
  /** Share a namespace with another app (two replicas); default: a fresh one. */
  readonly namespace?: string;
  readonly env?: Record<string, string>;
  readonly probeIntervalMs?: number;
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ UPNEXT_LOG_LEVEL: "silent", ...env }, () => undefined);
}

export async function createTestApp(options: TestAppOptions): Promise<TestApp> {
  const namespace = options.namespace ?? testNamespace(options.label);
  const config = testConfig({
    UPNEXT_NAMESPACE: namespace,
    UPNEXT_REDIS_URL: options.redisUrl ?? REDIS_URL,
    ...options.env,
  });
  const database = await createTestDatabase(options.dialect, options.label);
  const redis = openServerRedis(config.redisUrl);
  await new Promise<void>((resolve) => {
    if (redis.status === "ready") resolve();
    else
      redis.once("ready", () => {
        resolve();
      });
  });
  const deps = createDependencies({
    config,
    redis,
    database: database.database,
    probeIntervalMs: options.probeIntervalMs ?? 100,
  });
  const app = await buildApp({ deps, logger: pino({ level: "silent" }) });
  await app.ready();
  return {
    app,
    deps,
    config,
    redis,
    database,
    namespace,
    close: async () => {
      await app.close();
      deps.stop();
      await deleteKeys(redis, namespace).catch(() => undefined);
      redis.disconnect();
      await database.destroy();
    },
  };
}

async function deleteKeys(redis: Redis, namespace: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${namespace}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== "0");
}
