/**
 * What the ingest, retention and alert tests share: the server's dependencies on a real Redis
 * (the shared one or a private one) under a namespace of their own, and a fresh database,
 * without building the whole app.
 */
import { type Config, type NamespaceKeys, loadConfig, namespaceKeys } from "@upnext/core";
import type { Redis } from "ioredis";
import { createDependencies, type ServerDependencies } from "../../src/connections/server-dependencies.js";
import { openServerRedis } from "../../src/connections/server-redis.js";
import type { DialectName } from "../../src/store/database.js";
import type { JobRow } from "../../src/store/schema.js";
import {
  REDIS_URL,
  deleteNamespace,
  eventually as pollUntil,
  testNamespace,
} from "../../../upnext/test/helpers/redis.js";
import { type TestDatabase, createTestDatabase } from "./database.js";

export { REDIS_URL, deleteNamespace, testNamespace };

/** Ingest waits on a worker, the stream and a batch: longer than upnext's tests wait by default. */
const INGEST_WAIT_MS = 15_000;

/** The probe of the dependencies' circuit breakers: fast, so outage tests recover quickly. */
const PROBE_INTERVAL_MS = 100;

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
  /** Share a namespace with another harness or app (two replicas); default: a fresh one. */
  readonly namespace?: string;
  readonly env?: Record<string, string>;
  readonly probeIntervalMs?: number;
}

export async function createIngestHarness(
  dialect: DialectName,
  label: string,
  options: HarnessOptions = {},
): Promise<IngestHarness> {
  const namespace = options.namespace ?? testNamespace(label);
  const config = testConfig({
    UPNEXT_NAMESPACE: namespace,
    UPNEXT_REDIS_URL: options.redisUrl ?? REDIS_URL,
    ...options.env,
  });
  const database = await createTestDatabase(dialect, label);
  const redis = openServerRedis(config.redisUrl);
  await ready(redis);
  const deps = createDependencies({
    config,
    redis,
    database: database.database,
    probeIntervalMs: options.probeIntervalMs ?? PROBE_INTERVAL_MS,
  });
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

/** Polls until `check` returns a truthy value, or fails with `what` after timeoutMs. */
export function eventually<T>(
  check: () => Promise<T | undefined | false | null>,
  what: string,
  timeoutMs = INGEST_WAIT_MS,
): Promise<T> {
  return pollUntil(check, what, timeoutMs);
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
