/**
 * The server's connections, owned explicitly: the app factory takes them, nothing is a module
 * singleton. Each sits behind a circuit breaker; routes reach them only through `withRedis` and
 * `withDatabase`, so an outage is one 503 policy everywhere (docs/server.md).
 */
import { type Config, type NamespaceKeys, namespaceKeys } from "@upnext/core";
import type { Redis } from "ioredis";
import type { Kysely } from "kysely";
import type { HistoryDatabase } from "../store/database.js";
import type { HistorySchema } from "../store/schema.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import { isDatabaseOutage, isRedisOutage } from "./outage-errors.js";

export interface ServerDependencies {
  readonly config: Config;
  readonly namespace: string;
  readonly keys: NamespaceKeys;
  readonly redis: Redis;
  readonly database: HistoryDatabase;
  readonly redisBreaker: CircuitBreaker;
  readonly databaseBreaker: CircuitBreaker;
  withRedis<T>(call: (redis: Redis) => Promise<T>): Promise<T>;
  withDatabase<T>(call: (db: Kysely<HistorySchema>) => Promise<T>): Promise<T>;
  /** Stops the breakers' probes (the caller closes the connections it opened). */
  stop(): void;
}

export interface DependencyOptions {
  readonly config: Config;
  /** Defaults to config.namespace. */
  readonly namespace?: string;
  /**
   * The command connection. Give it `enableOfflineQueue: false` (as `openServerRedis` does) so
   * calls fail at once while Redis is down instead of queueing.
   */
  readonly redis: Redis;
  readonly database: HistoryDatabase;
  readonly probeIntervalMs?: number;
}

export function createDependencies(options: DependencyOptions): ServerDependencies {
  const { redis, database, config } = options;
  const namespace = options.namespace ?? config.namespace;
  const redisBreaker = new CircuitBreaker({
    name: "redis",
    probe: async () => {
      await redis.ping();
    },
    isOutage: isRedisOutage,
    ...(options.probeIntervalMs === undefined ? {} : { probeIntervalMs: options.probeIntervalMs }),
  });
  const databaseBreaker = new CircuitBreaker({
    name: "database",
    probe: () => database.ping(),
    isOutage: isDatabaseOutage,
    ...(options.probeIntervalMs === undefined ? {} : { probeIntervalMs: options.probeIntervalMs }),
  });
  // A dropped connection opens the circuit before a request has to find out the slow way.
  const onRedisDown = (): void => {
    redisBreaker.recordOutage(new Error("Connection is closed."));
  };
  redis.on("close", onRedisDown);
  redis.on("ready", () => void redisBreaker.check());
  return {
    config,
    namespace,
    keys: namespaceKeys(namespace),
    redis,
    database,
    redisBreaker,
    databaseBreaker,
    withRedis: (call) => redisBreaker.run(() => call(redis)),
    withDatabase: (call) => databaseBreaker.run(() => call(database.db)),
    stop: () => {
      redis.off("close", onRedisDown);
      redisBreaker.stop();
      databaseBreaker.stop();
    },
  };
}
