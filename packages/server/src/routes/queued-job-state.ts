/** A job as the queue (Redis) holds it, in the API's shape: what an action answers with. */
import type { JobSnapshot, QueuedJobState } from "@upnext/core";
import { API_PREFIX } from "../http/auth.js";
import { isoTime, isoTimeOrNull } from "../lib/iso-time.js";

export function jobHref(id: string): string {
  return `${API_PREFIX}/jobs/${encodeURIComponent(id)}`;
}

export function queuedJobState(job: JobSnapshot): QueuedJobState {
  return {
    id: job.id,
    function: job.function,
    status: job.status,
    failureReason: job.failureReason,
    cancelReason: job.cancelReason ?? null,
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    workerId: job.workerId,
    createdAt: isoTime(job.createdAt),
    startedAt: isoTimeOrNull(job.startedAt),
    finishedAt: isoTimeOrNull(job.finishedAt),
    href: jobHref(job.id),
  };
}
