/**
 * Builds status events for one job from what the runtime knows about it, so every event gets
 * the same envelope (lineage, attempt, worker, tags) and the publisher stays generic.
 */
import type { JobEvent, JobEventData, JobEventType } from "@upnext/core";
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
