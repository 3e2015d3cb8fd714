/**
 * A server app against real dependencies: the shared Redis (or a private one) under a namespace
 * of the test file's own, and a fresh SQLite file or PostgreSQL schema.
 */
import type { Config } from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { pino } from "pino";
import { buildApp } from "../../src/app.js";
import type { ServerDependencies } from "../../src/connections/server-dependencies.js";
import type { DialectName } from "../../src/store/database.js";
import type { TestDatabase } from "./database.js";
import { createIngestHarness } from "./ingest.js";

export { REDIS_URL, testConfig, testNamespace } from "./ingest.js";

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

/** The ingest harness's dependencies with the whole app on top. */
export async function createTestApp(options: TestAppOptions): Promise<TestApp> {
  const { dialect, label, ...harnessOptions } = options;
  const harness = await createIngestHarness(dialect, label, harnessOptions);
  const app = await buildApp({ deps: harness.deps, logger: pino({ level: "silent" }) });
  await app.ready();
  return {
    app,
    deps: harness.deps,
    config: harness.config,
    redis: harness.redis,
    database: harness.database,
    namespace: harness.namespace,
    close: async () => {
      await app.close();
      await harness.close();
    },
  };
}
