/**
 * What the ingest, retention and alert tests share: the server's dependencies on a real Redis
 * (the shared one or a private one) under a namespace of their own, and a fresh database,
 * without building the whole app.
 */
import { randomBytes } from "node:crypto";
import { type Config, type NamespaceKeys, loadConfig, namespaceKeys } from "@upnext/core";
import type { Redis } from "ioredis";
import { createDependencies, type ServerDependencies } from "../../src/dependencies/server-dependencies.js";
import { openServerRedis } from "../../src/dependencies/server-redis.js";
import type { DialectName } from "../../src/store/database.js";
import type { JobRow } from "../../src/store/schema.js";
import { type TestDatabase, createTestDatabase } from "./database.js";

// Not taken from ./app.js: that builds the whole app, which these tests do not need.
export const REDIS_URL = process.env.UPNEXT_REDIS_URL ?? "redis://127.0.0.1:6379";

export function testNamespace(label: string): string {
  return `ts-${label}-${randomBytes(3).toString("hex")}`;
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ UPNEXT_LOG_LEVEL: "silent", ...env }, () => undefined);
}

export interface IngestHarness {
  readonly deps: ServerDependencies;
  readonly config: Config;
  readonly redis: Redis;
  readonly database: TestDatabase;
  readonly namespace: string;
  readonly keys: NamespaceKeys;
  jobs(): Promise<JobRow[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly redisUrl?: string;
  readonly env?: Record<string, string>;
}

export async function createIngestHarness(
  dialect: DialectName,
  label: string,
  options: HarnessOptions = {},
): Promise<IngestHarness> {
  const namespace = testNamespace(label);
  const config = testConfig({ UPNEXT_NAMESPACE: namespace, ...options.env });
  const database = await createTestDatabase(dialect, label);
  const redis = openServerRedis(options.redisUrl ?? REDIS_URL);
  await ready(redis);
  const deps = createDependencies({ config, redis, database: database.database, probeIntervalMs: 100 });
  return {
    deps,
    config,
    redis,
    database,
    namespace,
    keys: namespaceKeys(namespace),
    jobs: () => database.database.db.selectFrom("jobs").selectAll().orderBy("id").execute(),
    close: async () => {
      deps.stop();
      await deleteNamespace(redis, namespace).catch(() => undefined);
      redis.disconnect();
      await database.destroy();
    },
  };
}

export async function ready(redis: Redis): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve) => {
    redis.once("ready", () => {
      resolve();
    });
  });
}

export async function deleteNamespace(redis: Redis, namespace: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${namespace}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== "0");
}

/** Polls until `check` returns a truthy value, or fails with `what` after timeoutMs. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false | null>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Entries of a stream as plain objects of their fields. */
export async function streamRecords(
  redis: Redis,
  key: string,
): Promise<{ id: string; fields: Record<string, string> }[]> {
  const entries = await redis.xrange(key, "-", "+");
  return entries.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let index = 0; index + 1 < flat.length; index += 2)
      fields[flat[index] ?? ""] = flat[index + 1] ?? "";
    return { id, fields };
  });
}
