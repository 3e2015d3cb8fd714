/**
 * The function registry workers keep in Redis (upnext runtime/registration.ts): the set of every
 * function name, a record per function (kind, published options, last update) and the
 * function's config hash (paused flag, concurrency cap, routing group, rate limit). Names come
 * from the set and are checked against the name format before any key is built from them.
 */
import { type FunctionConfig, type NamespaceKeys, functionKeys, isValidName } from "@upnext/core";
import type { Redis } from "ioredis";
import { asHash, intField, pipelineResults } from "./redis-replies.js";

export interface FunctionRecord {
  readonly name: string;
  /** A worker's record of the function exists (it expires 30 days after the last registration). */
  readonly registered: boolean;
  readonly kind: string | null;
  readonly updatedAt: number | null;
  readonly paused: boolean;
  readonly timeoutMs: number | null;
  readonly config: FunctionConfig;
}

/** Every known function name, sorted; a malformed member is skipped, never turned into a key. */
export async function functionNames(redis: Redis, keys: NamespaceKeys): Promise<string[]> {
  const members = await redis.smembers(keys.functions);
  return members.filter(isValidName).sort();
}

export async function isKnownFunction(redis: Redis, keys: NamespaceKeys, name: string): Promise<boolean> {
  return (await redis.sismember(keys.functions, name)) === 1;
}

function parseOptions(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function toRecord(
  name: string,
  record: Record<string, string>,
  config: Record<string, string>,
): FunctionRecord {
  const options = parseOptions(record.options);
  const timeoutMs = options.timeoutMs;
  const rateLimit = intField(config, "rateLimit");
  const rateWindow = intField(config, "rateWindow");
  return {
    name,
    registered: Object.keys(record).length > 0,
    kind: record.kind ?? null,
    updatedAt: intField(record, "updatedAt"),
    paused: config.paused === "1",
    timeoutMs: typeof timeoutMs === "number" && Number.isSafeInteger(timeoutMs) ? timeoutMs : null,
    config: {
      concurrency: intField(config, "concurrency"),
      routingGroup: config.group ?? null,
      groupMax: intField(config, "groupMax"),
      rateLimit:
        rateLimit !== null && rateWindow !== null
          ? { limit: rateLimit, windowMs: rateWindow, onEnqueue: config.rateOnEnqueue ?? null }
          : null,
      options,
    },
  };
}

/** The records of these (valid) functions, in one pipeline of two HGETALLs each. */
export async function readFunctionRecords(
  redis: Redis,
  namespace: string,
  keys: NamespaceKeys,
  names: readonly string[],
): Promise<FunctionRecord[]> {
  if (names.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const name of names)
    pipeline.hgetall(keys.function(name)).hgetall(functionKeys(namespace, name).config);
  const results = pipelineResults(await pipeline.exec());
  return names.map((name, index) =>
    toRecord(name, asHash(results[index * 2]), asHash(results[index * 2 + 1])),
  );
}
