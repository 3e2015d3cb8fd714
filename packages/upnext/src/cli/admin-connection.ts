/**
 * What every admin command (cron, dlq, function) shares: the --redis/--namespace flags, a
 * connection that fails fast when Redis is unreachable (a person is waiting), and the translation
 * of an unreachable Redis into one clear line.
 */
import type { Command } from "commander";
import type { RedisOptions } from "ioredis";
import { getConfig } from "../runtime/process-config.js";
import type { StandaloneOptions } from "../runtime/namespace-client.js";
import { rootLogger } from "../runtime/observability/logger.js";
import { CliError, EXIT_FAILURE, messageOf } from "./cli-error.js";

export interface ConnectionFlags {
  readonly redis?: string;
  readonly namespace?: string;
}

/** ioredis would otherwise retry for a long time before giving up. */
export const CLI_REDIS_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 1,
  connectTimeout: 5_000,
  retryStrategy: (times) => (times > 3 ? null : times * 200),
};

const UNREACHABLE =
  /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|Connection is closed|max retries per request/i;

export function addConnectionFlags(command: Command): Command {
  return command
    .option("--redis <url>", "Redis URL (default: UPNEXT_REDIS_URL)")
    .option("--namespace <name>", "key namespace (default: UPNEXT_NAMESPACE)");
}

/** Options for an admin object (Schedules, DeadLetters, Functions) from a command's flags. */
export function standaloneOptions(flags: ConnectionFlags): StandaloneOptions {
  if (flags.redis !== undefined && !/^rediss?:\/\/\S+$/.test(flags.redis)) {
    throw new CliError(`--redis ${JSON.stringify(flags.redis)} is not a redis:// or rediss:// URL.`);
  }
  return {
    ...(flags.redis !== undefined ? { redis: flags.redis } : {}),
    ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
    redisOptions: CLI_REDIS_OPTIONS,
    // Connection warnings would land on stdout next to the data; the command reports failures.
    logger: rootLogger("silent"),
  };
}

/** The URL without its password, for messages. */
function redactedUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}

/** Rethrows an unreachable-Redis error as one line with what to check; other errors unchanged. */
export function explainUnreachable(error: unknown, flags: ConnectionFlags): never {
  if (!(error instanceof CliError) && UNREACHABLE.test(messageOf(error))) {
    throw new CliError(
      `Cannot reach Redis at ${redactedUrl(flags.redis ?? getConfig().redisUrl)}; check --redis or UPNEXT_REDIS_URL (${messageOf(error)}).`,
      EXIT_FAILURE,
      { cause: error },
    );
  }
  throw error;
}
