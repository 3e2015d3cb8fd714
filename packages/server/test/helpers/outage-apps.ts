/**
 * Apps whose Redis or database is down, to check that every endpoint needing it answers 503
 * `dependency_unavailable`: Redis is a private redis-server stopped after the app started (or
 * stopped and restarted by the test); the database is a closed SQLite handle, or a PostgreSQL URL
 * to a port nothing listens on.
 */
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { buildApp } from "../../src/app.js";
import { type ServerDependencies, createDependencies } from "../../src/connections/server-dependencies.js";
import { openServerRedis } from "../../src/connections/server-redis.js";
import { type DialectName, openDatabase } from "../../src/store/database.js";
import {
  REDIS_URL,
  type TestApp,
  type TestAppOptions,
  createTestApp,
  testConfig,
  testNamespace,
} from "./app.js";
import { eventually } from "../../../upnext/test/helpers/redis.js";
import { type ApiCall, expectUnavailable, send } from "./api-requests.js";
import { createTestDatabase } from "./database.js";
import { PrivateRedis, freePort } from "../../../upnext/test/helpers/private-redis.js";

export interface OutageApp {
  readonly app: FastifyInstance;
  /** The app's connections (the one that is down fails through its breaker). */
  readonly deps: ServerDependencies;
  close(): Promise<void>;
}

export async function appWithDatabaseDown(dialect: DialectName, label: string): Promise<OutageApp> {
  const test = dialect === "sqlite" ? await createTestDatabase("sqlite", label) : undefined;
  const database =
    test?.database ??
    (await openDatabase(`postgres://postgres@127.0.0.1:${await freePort()}/test`, { poolSize: 1 }));
  const config = testConfig({ UPNEXT_NAMESPACE: testNamespace(label), UPNEXT_REDIS_URL: REDIS_URL });
  const redis = openServerRedis(REDIS_URL);
  const deps = createDependencies({ config, redis, database, probeIntervalMs: 100 });
  const app = await buildApp({ deps, logger: pino({ level: "silent" }) });
  await app.ready();
  await test?.database.close();
  return {
    app,
    deps,
    close: async () => {
      await app.close();
      deps.stop();
      redis.disconnect();
      if (test) await test.destroy();
      else await database.close();
    },
  };
}

/** An app on a redis-server of its own, which the test stops and restarts for an outage that ends. */
export interface PrivateRedisApp {
  readonly test: TestApp;
  readonly redis: PrivateRedis;
  /** Brings Redis back (the app closes cleanly only with it up), closes the app, stops Redis. */
  close(): Promise<void>;
}

export async function appOnPrivateRedis(options: Omit<TestAppOptions, "redisUrl">): Promise<PrivateRedisApp> {
  const redis = await PrivateRedis.start();
  const test = await createTestApp({ ...options, redisUrl: redis.url });
  return {
    test,
    redis,
    close: async () => {
      await redis.restart();
      await test.close();
      await redis.stop();
    },
  };
}

/** Generous: the app answers again once its client has reconnected and its breaker has probed. */
const RECOVERY_WAIT_MS = 15_000;

/**
 * Stops Redis under the app, expects 503 `dependency_unavailable` from every call, starts Redis
 * again and waits until the first call answers 200: the app recovers by itself.
 */
export async function expectRedisOutageAndRecovery(
  outage: PrivateRedisApp,
  calls: readonly [ApiCall, ...ApiCall[]],
): Promise<void> {
  await outage.redis.stop();
  for (const [method, url, body] of calls)
    expectUnavailable(await send(outage.test.app, [method, url, body]), "redis", `${method} ${url}`);
  await outage.redis.restart();
  const [first] = calls;
  await eventually(
    async () => (await send(outage.test.app, first)).statusCode === 200,
    `${first[0]} ${first[1]} to recover`,
    RECOVERY_WAIT_MS,
  );
}

export async function appWithRedisDown(dialect: DialectName, label: string): Promise<OutageApp> {
  const redis = await PrivateRedis.start();
  const test = await createTestApp({ dialect, label, redisUrl: redis.url });
  await redis.stop();
  return {
    app: test.app,
    deps: test.deps,
    close: async () => {
      await test.close();
    },
  };
}
