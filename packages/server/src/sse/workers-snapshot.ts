/**
 * The workers stream's snapshot: the registry workers keep in Redis (registry/worker-registry.ts),
 * in the REST shape of a worker (@upnext/core's workerSchema), newest heartbeat first.
 */
import type { WorkerSummary } from "@upnext/core";
import type { ServerDependencies } from "../dependencies/server-dependencies.js";
import { HEARTBEAT_MISSES_OFFLINE, readWorkers, workerIndex } from "../registry/worker-registry.js";

export interface WorkersSnapshot {
  readonly workers: WorkerSummary[];
  /** Registered workers, also those beyond the snapshot's limit. */
  readonly total: number;
  readonly online: number;
}

export async function readWorkersSnapshot(deps: ServerDependencies, max: number): Promise<WorkersSnapshot> {
  const index = await deps.withRedis((redis) => workerIndex(redis, deps.keys));
  const newest = [...index].sort((a, b) => b.lastSeen - a.lastSeen).slice(0, max);
  const records = await deps.withRedis((redis) => readWorkers(redis, deps.keys, newest));
  const onlineSince = Date.now() - HEARTBEAT_MISSES_OFFLINE * deps.config.heartbeatInterval;
  const workers = records.map((record): WorkerSummary => ({
    id: record.id,
    name: record.name,
    host: record.host,
    pid: record.pid,
    functions: record.functions,
    concurrency: record.concurrency,
    active: record.active,
    held: record.held,
    completed: record.completed,
    failed: record.failed,
    startedAt: new Date(record.startedAt).toISOString(),
    lastSeenAt: new Date(record.lastSeen).toISOString(),
    online: record.lastSeen >= onlineSince,
  }));
  return {
    workers,
    total: index.length,
    online: index.filter((entry) => entry.lastSeen >= onlineSince).length,
  };
}
