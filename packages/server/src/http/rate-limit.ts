/**
 * Rate limiting of /api/v1 per client, counted in Redis so every replica of the server shares
 * one budget per client (a fixed window per key, @fastify/rate-limit's Redis store). Over the
 * limit: 429 in the error envelope with Retry-After and the x-ratelimit-* headers.
 *
 * While Redis is down the limit is not enforced (skipOnError): the API keeps serving what the
 * database alone can answer rather than refusing everything because the counter is unreachable.
 */
import fastifyRateLimit from "@fastify/rate-limit";
import { formatDuration } from "@upnext/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { waitForReady } from "../connections/server-redis.js";
import { ApiError } from "./api-error.js";
import { API_PREFIX } from "./auth.js";

/**
 * Longest a request waits for its counter. Short: a slow Redis must not slow every request;
 * past it the request is served uncounted (skipOnError).
 */
export const RATE_LIMIT_COMMAND_TIMEOUT_MS = 500;
/** Longest the app's start waits for the counters' connection (Redis may be down). */
const CONNECT_WAIT_MS = 2_000;

/** The Redis key prefix of the counters: per namespace, so replicas of one deployment share them. */
export function rateLimitPrefix(namespace: string): string {
  return `${namespace}:ratelimit:`;
}

/**
 * Who a request counts against: its address (the real client's behind a trusted proxy,
 * UPNEXT_TRUST_PROXY) and, when the server checks tokens, the name of the token it was
 * authenticated with (requests with a wrong token were already refused). So dashboard users
 * sharing one token each have a budget, and a script with its own token is not slowed by the
 * dashboard on the same machine. The token itself never goes to Redis.
 */
export function clientKey(request: FastifyRequest): string {
  const name = request.principal?.name;
  return name === undefined ? `ip:${request.ip}` : `token:${name}:ip:${request.ip}`;
}

export async function registerRateLimit(app: FastifyInstance, deps: ServerDependencies): Promise<void> {
  const { limit, windowMs } = deps.config.apiRateLimit;
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
    keyGenerator: (request) => clientKey(request),
    errorResponseBuilder: (_request, context) =>
      new ApiError(
        429,
        "rate_limited",
        `Too many requests: this client may make ${limit} requests per ${formatDuration(windowMs)} to ${API_PREFIX}; retry in ${context.after}.`,
        { limit, windowMs, retryAfterSeconds: Math.ceil(context.ttl / 1000) },
      ),
  });
}
