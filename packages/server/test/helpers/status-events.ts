/**
 * Status events as the runtime writes them (packages/upnext/src/runtime/status/job-events.ts), for
 * tests that feed the ingest path directly or through a stream.
 */
import { type JobEvent, type JobEventData, type JobEventType, STATUS_EVENT_FIELD } from "@upnext/core";
import type { Redis } from "ioredis";

export interface JobFacts {
  readonly jobId: string;
  readonly function?: string;
  readonly parentId?: string | null;
  readonly rootId?: string;
  readonly workerId?: string | null;
  readonly tags?: Record<string, string>;
}

export function jobEvent<T extends JobEventType>(
  type: T,
  job: JobFacts,
  attempt: number,
  at: number,
  data: JobEventData<T>,
): JobEvent {
  return {
    type,
    jobId: job.jobId,
    function: job.function ?? "work",
    attempt,
    parentId: job.parentId ?? null,
    rootId: job.rootId ?? job.jobId,
    workerId: job.workerId === undefined ? "test-worker-00000001" : job.workerId,
    at,
    ...(job.tags ? { tags: job.tags } : {}),
    data,
  } as JobEvent;
}

export const created = (job: JobFacts, at: number, extra: Partial<JobEventData<"queued">> = {}): JobEvent =>
  jobEvent("queued", { ...job, workerId: null }, 0, at, {
    from: "submit",
    input: { n: 1 },
    maxAttempts: 3,
    priority: 0,
    idempotencyKey: null,
    ...extra,
  });

export const started = (
  job: JobFacts,
  attempt: number,
  at: number,
  deliveries = 1,
  queueWaitMs = 5,
): JobEvent => jobEvent("started", job, attempt, at, { startedAt: at, queueWaitMs, deliveries });

export const progress = (job: JobFacts, attempt: number, at: number, value: number): JobEvent =>
  jobEvent("progress", job, attempt, at, { progress: value, message: `at ${value}` });

export const logLine = (job: JobFacts, attempt: number, at: number, message: string): JobEvent =>
  jobEvent("log", job, attempt, at, { level: "info", message });

export const completed = (job: JobFacts, attempt: number, at: number, result: unknown = "ok"): JobEvent =>
  jobEvent("completed", job, attempt, at, { result, durationMs: 10 });

export const retrying = (job: JobFacts, attempt: number, at: number): JobEvent =>
  jobEvent("retrying", job, attempt, at, {
    error: { name: "Error", message: `boom ${attempt}` },
    reason: "exception",
    retryAt: at + 10,
    delayMs: 10,
    nextAttempt: attempt + 1,
  });

export const requeued = (job: JobFacts, attempt: number, at: number): JobEvent =>
  jobEvent("queued", job, attempt, at, { from: "retrying" });

export const failed = (job: JobFacts, attempt: number, at: number): JobEvent =>
  jobEvent("failed", job, attempt, at, {
    error: { name: "Error", message: "final boom" },
    reason: "exception",
    durationMs: 7,
  });

export const cancelled = (job: JobFacts, attempt: number, at: number): JobEvent =>
  jobEvent("cancelled", { ...job, workerId: null }, attempt, at, { previous: "active", reason: "stop" });

/** Appends events to a status stream the way the publisher does; returns the entry ids. */
export async function appendEvents(
  redis: Redis,
  stream: string,
  events: readonly unknown[],
): Promise<string[]> {
  const pipeline = redis.pipeline();
  for (const event of events) pipeline.xadd(stream, "*", STATUS_EVENT_FIELD, JSON.stringify(event));
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, id]) => {
    if (error) throw error;
    return String(id);
  });
}

/** Stream-like entry ids for feeding the writer directly: increasing, unique per call. */
export function entryIds(count: number, start = Date.now()): string[] {
  return Array.from({ length: count }, (_, index) => `${start}-${index}`);
}
