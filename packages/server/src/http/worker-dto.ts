/** A worker as the REST contract shows it (GET /api/v1/workers and the workers stream alike). */
import type { WorkerSummary } from "@upnext/core";
import type { WorkerRecord } from "../registry/worker-registry.js";
import { isoTime } from "../lib/iso-time.js";

/** `onlineSince`: heartbeats at or after this time count as online (registry's onlineSince). */
export function toWorkerSummary(record: WorkerRecord, onlineSince: number): WorkerSummary {
  return {
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
    startedAt: isoTime(record.startedAt),
    lastSeenAt: isoTime(record.lastSeen),
    online: record.lastSeen >= onlineSince,
  };
}
