/**
 * The SDK's admin objects (Jobs, Functions, Schedules, DeadLetters) the action routes call, all
 * on one Redis connection of the app's own. That connection fails fast like the server's (no
 * offline queue, one retry, a command timeout), so a call made while Redis is down errors at
 * once and the route, calling through `deps.withRedis`, answers 503.
 */
import type { Logger } from "pino";
import { NamespaceClient, DeadLetters, Functions, Jobs, Schedules } from "upnext";
import type { ServerDependencies } from "./server-dependencies.js";
import { REDIS_COMMAND_TIMEOUT_MS, waitForReady } from "./server-redis.js";

/** Longest the app's start waits for the admin connection; Redis being down must not block it. */
const CONNECT_WAIT_MS = 2_000;
/** Longest close() waits to flush status events (a cancel's event) while Redis may be down. */
const CLOSE_FLUSH_MS = 1_000;

export interface QueueAdmin {
  readonly jobs: Jobs;
  readonly functions: Functions;
  readonly schedules: Schedules;
  readonly deadLetters: DeadLetters;
  close(): Promise<void>;
}

export async function openQueueAdmin(deps: ServerDependencies, logger: Logger): Promise<QueueAdmin> {
  const { config } = deps;
  const connection = new NamespaceClient({
    redis: config.redisUrl,
    namespace: deps.namespace,
    config,
    logger: logger.child({ component: "queue-admin" }),
    redisOptions: {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    },
  });
  await waitForReady(connection.redis, CONNECT_WAIT_MS);
  const bound = { connection: () => connection };
  return {
    jobs: new Jobs(connection),
    functions: new Functions(connection),
    schedules: new Schedules({}, bound),
    deadLetters: new DeadLetters({}, bound),
    close: () => connection.close(CLOSE_FLUSH_MS),
  };
}
