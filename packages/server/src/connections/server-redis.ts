import { once } from "node:events";
import { Redis, type RedisOptions } from "ioredis";

/** Longest a server command may wait for Redis before it counts as an outage. */
export const REDIS_COMMAND_TIMEOUT_MS = 5_000;
const RECONNECT_CAP_MS = 2_000;

/**
 * A Redis connection for the server: commands fail at once while disconnected (no offline queue)
 * so requests answer 503 instead of hanging; reconnects forever in the background.
 */
export function openServerRedis(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, RECONNECT_CAP_MS),
    ...options,
  });
  // Errors are reported through the circuit breaker; an unhandled 'error' event would crash.
  redis.on("error", () => undefined);
  return redis;
}

/**
 * Resolves once the connection is ready, or after `maxWaitMs` when Redis does not answer (a
 * server must start while Redis is down). Without an offline queue a command sent before the
 * first connect fails, so callers about to serve requests wait for it.
 */
export async function waitForReady(redis: Redis, maxWaitMs: number): Promise<void> {
  if (redis.status === "ready") return;
  await once(redis, "ready", { signal: AbortSignal.timeout(maxWaitMs) }).catch(() => undefined);
}
