/**
 * When a piece of job state may replace another. The rules the whole live merge rests on:
 *
 * - A terminal state (complete, failed, cancelled) is final: nothing replaces it, not a late
 *   event and not an older REST snapshot. A retry makes a new job; it never reopens this one.
 * - A later attempt replaces an earlier one; an earlier one never replaces a later one.
 * - Within an attempt a move forward in the lifecycle is always taken (so a row whose
 *   `updatedAt` is the server's ingest time still accepts the events that followed it), a move
 *   back (handed back to the queue, deferred by a rate limit) only when it is strictly newer,
 *   and the same state again when it is at least as new (progress, a new worker).
 */
import type { JobStatus } from "@upnext/core";
import { isTerminal } from "@upnext/core/rules";

/** Where a status sits within one attempt's lifecycle. */
const PHASE: Readonly<Record<JobStatus, number>> = {
  waiting: 0,
  scheduled: 1,
  queued: 2,
  active: 3,
  retrying: 4,
  complete: 5,
  failed: 5,
  cancelled: 5,
};

export function phaseOf(status: JobStatus): number {
  return PHASE[status];
}

export interface StatePoint {
  readonly status: JobStatus;
  readonly attempt: number;
  /** Epoch ms the state was reached (for a REST row: its updatedAt). */
  readonly at: number;
}

export function supersedes(next: StatePoint, current: StatePoint): boolean {
  if (isTerminal(current.status)) return false;
  if (isTerminal(next.status)) return true;
  if (next.attempt !== current.attempt) return next.attempt > current.attempt;
  const forward = phaseOf(next.status) - phaseOf(current.status);
  if (forward > 0) return true;
  if (forward < 0) return next.at > current.at;
  return next.at >= current.at;
}
