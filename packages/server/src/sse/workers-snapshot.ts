/**
 * The workers stream's snapshot: the registry workers keep in Redis (registry/worker-registry.ts),
 * in the REST shape of a worker (@upnext/core's workerSchema), newest heartbeat first.
 */
import type { WorkerSummary } from "@upnext/core";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { toWorkerSummary } from "../http/worker-dto.js";
import { onlineSince, readWorkers, tallyWorkers, workerIndex } from "../registry/worker-registry.js";

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
  const since = onlineSince(Date.now(), deps.config.heartbeatInterval);
  return {
    workers: records.map((record) => toWorkerSummary(record, since)),
    ...tallyWorkers(index, since),
  };
}
