/**
 * The API-instance registry `upnext/http` keeps in Redis (docs/http-apis.md): a ZSET of instance
 * ids scored by their last heartbeat and a hash per instance that expires after three missed
 * heartbeats. A record that does not parse is skipped, never fatal.
 */
import { type ApiInstance, type NamespaceKeys, apiInstanceSchema } from "@upnext/core";
import type { Redis } from "ioredis";
import { asHash, intField, pipelineResults } from "./redis-replies.js";

/** Instance ids longer than this are not looked up (the writer never makes one). */
const MAX_INSTANCE_ID_LENGTH = 200;

function parseRoutes(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? "[]");
  } catch {
    return [];
  }
}

function toInstance(id: string, hash: Record<string, string>): ApiInstance | null {
  if (Object.keys(hash).length === 0) return null;
  const parsed = apiInstanceSchema.safeParse({
    id,
    api: hash.api,
    version: hash.version === undefined || hash.version === "" ? null : hash.version,
    host: hash.host ?? "",
    pid: intField(hash, "pid") ?? 0,
    routes: parseRoutes(hash.routes),
    startedAt: intField(hash, "startedAt") ?? 0,
    lastSeen: intField(hash, "lastSeen") ?? 0,
  });
  return parsed.success ? parsed.data : null;
}

/** Every registered instance whose record still exists, sorted by API then id. */
export async function readApiInstances(redis: Redis, keys: NamespaceKeys): Promise<ApiInstance[]> {
  const ids = (await redis.zrange(keys.apis, 0, "-1")).filter((id) => id.length <= MAX_INSTANCE_ID_LENGTH);
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(keys.api(id));
  const results = pipelineResults(await pipeline.exec());
  return ids
    .flatMap((id, index) => toInstance(id, asHash(results[index])) ?? [])
    .sort((a, b) => a.api.localeCompare(b.api) || a.id.localeCompare(b.id));
}
