/**
 * The worker registry workers keep in Redis (upnext runtime/registration.ts): a ZSET of worker
 * ids scored by their last heartbeat and a hash per worker, refreshed every heartbeat and
 * expiring after three missed ones. Ids from the index are checked against the worker-id format
 * before a key is built from them.
 */
import { type NamespaceKeys, isValidWorkerId } from "@upnext/core";
import type { Redis } from "ioredis";
import { asCount, asHash, intField, pipelineResults } from "./redis-replies.js";

/** A worker is online while its last heartbeat is younger than this many heartbeat intervals (its record's TTL). */
const HEARTBEAT_MISSES_OFFLINE = 3;

/** Heartbeats at or after the returned time count as online. */
export function onlineSince(now: number, heartbeatIntervalMs: number): number {
  return now - HEARTBEAT_MISSES_OFFLINE * heartbeatIntervalMs;
}

export interface WorkerCounts {
  readonly total: number;
  readonly online: number;
}

export interface WorkerIndexEntry {
  readonly id: string;
  readonly lastSeen: number;
}

export interface WorkerRecord {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  readonly pid: number;
  readonly functions: string[];
  readonly concurrency: number;
  readonly active: number;
  readonly held: number;
  readonly completed: number;
  readonly failed: number;
  readonly startedAt: number;
  readonly lastSeen: number;
}

/** Every worker id in the index with its last heartbeat, sorted by id. */
export async function workerIndex(redis: Redis, keys: NamespaceKeys): Promise<WorkerIndexEntry[]> {
  const flat = await redis.zrange(keys.workers, 0, "-1", "WITHSCORES");
  const entries: WorkerIndexEntry[] = [];
  for (let index = 0; index + 1 < flat.length; index += 2) {
    const id = flat[index] ?? "";
    if (isValidWorkerId(id)) entries.push({ id, lastSeen: Number(flat[index + 1]) });
  }
  return entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** How many workers an index read holds, and how many of them beat at or after `since`. */
export function tallyWorkers(index: readonly WorkerIndexEntry[], since: number): WorkerCounts {
  return { total: index.length, online: index.filter((entry) => entry.lastSeen >= since).length };
}

function parseFunctions(text: string | undefined): string[] {
  if (text === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === "string") : [];
  } catch {
    return [];
  }
}

function toRecord(id: string, hash: Record<string, string>, fallbackLastSeen: number): WorkerRecord | null {
  if (Object.keys(hash).length === 0) return null;
  return {
    id,
    name: hash.name ?? id,
    host: hash.host ?? "",
    pid: intField(hash, "pid") ?? 0,
    functions: parseFunctions(hash.functions),
    concurrency: intField(hash, "concurrency") ?? 0,
    active: intField(hash, "active") ?? 0,
    held: intField(hash, "held") ?? 0,
    completed: intField(hash, "completed") ?? 0,
    failed: intField(hash, "failed") ?? 0,
    startedAt: intField(hash, "startedAt") ?? 0,
    lastSeen: intField(hash, "lastSeen") ?? fallbackLastSeen,
  };
}

/** The records of these workers in one pipeline; a worker whose record expired is left out. */
export async function readWorkers(
  redis: Redis,
  keys: NamespaceKeys,
  entries: readonly WorkerIndexEntry[],
): Promise<WorkerRecord[]> {
  if (entries.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const entry of entries) pipeline.hgetall(keys.worker(entry.id));
  const results = pipelineResults(await pipeline.exec());
  return entries.flatMap((entry, index) => toRecord(entry.id, asHash(results[index]), entry.lastSeen) ?? []);
}

export async function readWorker(
  redis: Redis,
  keys: NamespaceKeys,
  id: string,
): Promise<WorkerRecord | null> {
  return toRecord(id, await redis.hgetall(keys.worker(id)), 0);
}

/** How many workers the index holds, and how many of them beat at or after `since` (counted in Redis). */
export async function countWorkers(redis: Redis, keys: NamespaceKeys, since: number): Promise<WorkerCounts> {
  const [total, online] = pipelineResults(
    await redis.pipeline().zcard(keys.workers).zcount(keys.workers, since, "+inf").exec(),
  );
  return { total: asCount(total), online: asCount(online) };
}
