/**
 * Builds status events for one job from what the runtime knows about it, so every event gets
 * the same envelope (lineage, attempt, worker, tags) and the publisher stays generic.
 */
import type { JobEvent, JobEventData, JobEventType } from "@upnext/core";
import type { NewJob } from "../../backend/queue-backend.js";
import type { StatusPublisher } from "./status-publisher.js";

export interface JobIdentity {
  readonly jobId: string;
  readonly function: string;
  readonly attempt: number;
  readonly parentId: string | null;
  readonly rootId: string;
  readonly tags?: Readonly<Record<string, string>> | undefined;
}

export function jobEvent<T extends JobEventType>(
  type: T,
  job: JobIdentity,
  workerId: string | null,
  data: JobEventData<T>,
  at: number = Date.now(),
): JobEvent {
  const tags = job.tags && Object.keys(job.tags).length > 0 ? { tags: { ...job.tags } } : {};
  return {
    type,
    jobId: job.jobId,
    function: job.function,
    attempt: job.attempt,
    parentId: job.parentId,
    rootId: job.rootId,
    workerId,
    at,
    ...tags,
    data,
  } as JobEvent;
}

/** Publishes a job event; the returned promise (only under "block" overflow) is the back-pressure. */
export function emitJobEvent<T extends JobEventType>(
  publisher: StatusPublisher,
  type: T,
  job: JobIdentity,
  workerId: string | null,
  data: JobEventData<T>,
): Promise<void> | undefined {
  return publisher.publish(jobEvent(type, job, workerId, data));
}

/**
 * The event announcing a new job, by the status it was created in: `queued` (from "submit"),
 * `scheduled` or `waiting`. It carries the creation fields (input, attempts, priority, key,
 * metadata, origin) once, so the history can be built from events alone.
 */
export function creationEvent(
  job: NewJob,
  status: "queued" | "scheduled" | "waiting",
  workerId: string | null,
): JobEvent {
  const identity = {
    jobId: job.id,
    function: job.function,
    attempt: 0,
    parentId: job.parentId,
    rootId: job.rootId,
    tags: job.tags,
  };
  let input: unknown = null;
  try {
    input = JSON.parse(job.input) as unknown;
  } catch {
    // A job hash written by hand (or a replay of one) may hold anything; the event still goes out.
  }
  const created = {
    input,
    maxAttempts: job.maxAttempts,
    priority: job.priority,
    idempotencyKey: job.idempotencyKey,
    ...(Object.keys(job.metadata).length > 0 ? { metadata: { ...job.metadata } } : {}),
    ...(job.origin ? { origin: job.origin } : {}),
  };
  if (status === "waiting") {
    return jobEvent(
      "waiting",
      identity,
      workerId,
      {
        ...created,
        dependsOn: (job.dependsOn ?? []).map((parent) => parent.id),
        onParentFailure: job.onParentFailure ?? "fail",
      },
      job.createdAt,
    );
  }
  if (status === "scheduled") {
    return jobEvent(
      "scheduled",
      identity,
      workerId,
      { ...created, runAt: job.runAt ?? job.createdAt },
      job.createdAt,
    );
  }
  return jobEvent("queued", identity, workerId, { ...created, from: "submit" }, job.createdAt);
}
