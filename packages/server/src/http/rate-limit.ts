/**
 * Rate limiting of /api/v1 per client, counted in Redis so every replica of the server shares
 * one budget per client (a fixed window per key, @fastify/rate-limit's Redis store). Over the
 * limit: 429 in the error envelope with Retry-After and the x-ratelimit-* headers.
 *
 * While Redis is down the limit is not enforced (skipOnError): the API keeps serving what the
 * database alone can answer rather than refusing everything because the counter is unreachable.
 */
import { createHash } from "node:crypto";
import fastifyRateLimit from "@fastify/rate-limit";
import { formatDuration } from "@upnext/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { waitForReady } from "../connections/server-redis.js";
import { ApiError } from "./api-error.js";
import { API_PREFIX, tokenOf } from "./auth.js";

/**
 * Longest a request waits for its counter. Short: a slow Redis must not slow every request;
 * past it the request is served uncounted (skipOnError).
 */
export const RATE_LIMIT_COMMAND_TIMEOUT_MS = 500;
/** Longest the app's start waits for the counters' connection (Redis may be down). */
const CONNECT_WAIT_MS = 2_000;
/** Hex digits of the token's SHA-256 kept in the key: the token itself never goes to Redis. */
const TOKEN_DIGEST_LENGTH = 32;

/** The Redis key prefix of the counters: per namespace, so replicas of one deployment share them. */
export function rateLimitPrefix(namespace: string): string {
  return `${namespace}:ratelimit:`;
}

/**
 * Who a request counts against: its bearer token when the server checks tokens (requests with a
 * wrong token were already refused), else its address. A token the server does not check would
 * let a client pick a fresh budget per request, so it is ignored.
 */
export function clientKey(request: FastifyRequest, tokenRequired: boolean): string {
  const token = tokenRequired ? tokenOf(request) : undefined;
  if (token !== undefined) {
    return `token:${createHash("sha256").update(token).digest("hex").slice(0, TOKEN_DIGEST_LENGTH)}`;
  }
  return `ip:${request.ip}`;
}

export async function registerRateLimit(app: FastifyInstance, deps: ServerDependencies): Promise<void> {
  const { limit, windowMs } = deps.config.apiRateLimit;
  const tokenRequired = deps.config.apiToken !== "";
  // A connection of its own with a short timeout; no offline queue, so while Redis is down the
  // count fails at once and the request goes through.
  const redis = deps.redis.duplicate({
    commandTimeout: RATE_LIMIT_COMMAND_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  redis.on("error", () => undefined);
  app.addHook("onClose", () => {
    redis.disconnect();
  });
  await waitForReady(redis, CONNECT_WAIT_MS);
  await app.register(fastifyRateLimit, {
    global: true,
    max: limit,
    timeWindow: windowMs,
    redis,
    nameSpace: rateLimitPrefix(deps.namespace),
    skipOnError: true,
    // Probes and metrics (outside /api/v1) are never limited.
    allowList: (request) => !request.url.startsWith(API_PREFIX),
    keyGenerator: (request) => clientKey(request, tokenRequired),
    errorResponseBuilder: (_request, context) =>
      new ApiError(
        429,
        "rate_limited",
        `Too many requests: this client may make ${limit} requests per ${formatDuration(windowMs)} to ${API_PREFIX}; retry in ${context.after}.`,
        { limit, windowMs, retryAfterSeconds: Math.ceil(context.ttl / 1000) },
      ),
  });
}
