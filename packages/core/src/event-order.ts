/**
 * Where a status event sits in its job's lifecycle, so the history can tell an older event from
 * a newer one whatever order they arrive in. Events of one job come from several processes (the
 * producer's `queued`, a worker's `started`, another worker's recovery), through two server
 * replicas, so arrival order means nothing; this order does.
 *
 * The rule, defined here once:
 * - A terminal status (complete, failed, cancelled) is never overwritten. Redis allows only one
 *   per job, so the first one stored is the truth.
 * - Otherwise an event's position is its *rank* — the attempt it belongs to, times
 *   {@link PHASES_PER_ATTEMPT}, plus its phase within that attempt — and then its `at`. An event
 *   changes the stored status only when its (rank, at) is greater than the stored
 *   (state_phase, state_at); the same event twice is equal, so it changes nothing.
 *
 * Phases (job-status.ts TRANSITIONS, and the attempt numbers the runtime writes):
 * - attempt 0, before any start: waiting (1) < scheduled (2) < queued (3). These moves only go
 *   forward (queued -> scheduled is a deferral, which publishes no event).
 * - attempt A: started (4) < retrying (5) < scheduled (6) = queued (6), the way back to the
 *   queue after the retry (`queued` from "retrying" carries the failed attempt's number).
 * - Two events go back to the queue *within* an attempt and are ordered by time against its
 *   starts: `queued` from "handed-back" (its `attempt` is the count after the hand-back, A - 1,
 *   and the next start is attempt A again) and from "recovered" (a lost lease: the next start
 *   continues attempt A). Both rank as attempt A's start, so (rank, at) puts them after the start
 *   they interrupt and before the re-start.
 */
import { type JobStatus, isTerminal } from "./job-status.js";
import type { JobEvent } from "./status-events.js";

export const PHASES_PER_ATTEMPT = 10;

const WAITING_PHASE = 1;
const SCHEDULED_PHASE = 2;
const QUEUED_PHASE = 3;
const ACTIVE_PHASE = 4;
const RETRYING_PHASE = 5;
const REQUEUED_PHASE = 6;

/** Above every attempt's ranks: terminal events outrank everything. Fits a 32-bit integer. */
export const TERMINAL_RANK = 2_000_000_000;
/** Most attempts whose rank fits below TERMINAL_RANK; bigger attempt numbers are clamped. */
const MAX_RANKED_ATTEMPT = Math.floor(TERMINAL_RANK / PHASES_PER_ATTEMPT) - 1;

/** The stored rank of a row no event has ranked yet: anything supersedes it. */
export const UNRANKED = -1;

/** A status change an event asks for, with its place in the lifecycle. */
export interface StatusPosition {
  readonly status: JobStatus;
  readonly rank: number;
  readonly at: number;
}

function rank(attempt: number, phase: number): number {
  return Math.min(Math.max(attempt, 0), MAX_RANKED_ATTEMPT) * PHASES_PER_ATTEMPT + phase;
}

/**
 * The status an event moves its job to, and where that sits; undefined for events that report
 * on a job without moving it (progress, checkpoint, log, metric, dead-lettered).
 */
export function statusPosition(event: JobEvent): StatusPosition | undefined {
  const { attempt, at } = event;
  switch (event.type) {
    case "waiting":
      return { status: "waiting", rank: rank(attempt, WAITING_PHASE), at };
    case "scheduled":
      return {
        status: "scheduled",
        rank: attempt === 0 ? SCHEDULED_PHASE : rank(attempt, REQUEUED_PHASE),
        at,
      };
    case "queued":
      switch (event.data.from) {
        case "handed-back":
          return { status: "queued", rank: rank(attempt + 1, ACTIVE_PHASE), at };
        case "recovered":
          return { status: "queued", rank: rank(attempt, ACTIVE_PHASE), at };
        default:
          return { status: "queued", rank: attempt === 0 ? QUEUED_PHASE : rank(attempt, REQUEUED_PHASE), at };
      }
    case "started":
      return { status: "active", rank: rank(attempt, ACTIVE_PHASE), at };
    case "retrying":
      return { status: "retrying", rank: rank(attempt, RETRYING_PHASE), at };
    case "completed":
      return { status: "complete", rank: TERMINAL_RANK, at };
    case "failed":
      return { status: "failed", rank: TERMINAL_RANK, at };
    case "cancelled":
      return { status: "cancelled", rank: TERMINAL_RANK, at };
    default:
      return undefined;
  }
}

/**
 * The state implied by an event that does not move its job (a progress update, a log line):
 * the job was running that attempt. It ranks as the attempt's start at time 0, so the real
 * `started` event (or anything later) replaces it.
 */
export function impliedPosition(event: JobEvent): StatusPosition {
  return { status: "active", rank: rank(event.attempt, ACTIVE_PHASE), at: 0 };
}

export interface StoredState {
  readonly status: JobStatus;
  readonly rank: number;
  readonly at: number;
}

/** Whether `next` replaces `stored`: the ordering rule above, and nothing else. */
export function supersedes(next: StatusPosition, stored: StoredState): boolean {
  if (isTerminal(stored.status)) return false;
  if (next.rank !== stored.rank) return next.rank > stored.rank;
  return next.at > stored.at;
}
