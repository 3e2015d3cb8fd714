/**
 * Re-running finished jobs as new jobs: what a dead-letter replay and a job retry share. Each
 * original is marked with its replay's id first (a compare-and-set, so two operators at once make
 * one replay), then the replays go through the same enqueue path and creation events as a
 * submit; a failed enqueue takes the marks back.
 */
import { newJobId } from "@upnext/core";
import type { NewJob } from "../backend/queue-backend.js";
import type {
  DeadLetterStore,
  ReplayScope,
  Reservation,
  ReserveOutcome,
} from "../backend/dead-letter-store.js";
import type { NamespaceClient } from "../runtime/namespace-client.js";
import { creationEvent } from "../runtime/status/job-events.js";
import { replayJob } from "./dead-letter-entry.js";
import { enqueueJobs } from "./job-submitter.js";

export interface ReplayOutcome {
  readonly id: string;
  /** The new job's id (used only when the outcome is "ok"). */
  readonly replayId: string;
  readonly outcome: ReserveOutcome;
}

/**
 * Replays jobs of one function. `scope` "dead" accepts dead-letter entries only; "finished"
 * accepts any failed or cancelled job. Entries already replayed are refused unless `force`.
 */
export async function replayJobs(
  connection: NamespaceClient,
  store: DeadLetterStore,
  fn: string,
  ids: readonly string[],
  options: { readonly force: boolean; readonly scope: ReplayScope },
): Promise<ReplayOutcome[]> {
  const now = Date.now();
  const pairs = ids.map((id) => ({ id, replayId: newJobId(now) }));
  const outcomes = await store.reserve(fn, pairs, now, options.force, options.scope);
  const jobs: NewJob[] = [];
  const reservations: Reservation[] = [];
  const results = pairs.map((pair, index): ReplayOutcome => {
    const outcome: ReserveOutcome = outcomes[index] ?? { kind: "missing" };
    if (outcome.kind === "ok") {
      jobs.push(replayJob(fn, pair.id, pair.replayId, outcome.source, now, connection.config));
      reservations.push({
        id: pair.id,
        replayId: pair.replayId,
        previousReplayedAs: outcome.source.previousReplayedAs,
        previousReplayedAt: outcome.source.previousReplayedAt,
      });
    }
    return { ...pair, outcome };
  });
  if (jobs.length === 0) return results;
  try {
    await enqueueJobs(connection, jobs);
  } catch (error) {
    await store.release(fn, reservations).catch(() => 0);
    throw error;
  }
  await publishCreated(connection, jobs);
  return results;
}

/** The same creation events a submit publishes, so the history sees replays like any job. */
export async function publishCreated(connection: NamespaceClient, jobs: readonly NewJob[]): Promise<void> {
  const pending: Promise<void>[] = [];
  for (const job of jobs) {
    const wait = connection.publisher.publish(creationEvent(job, "queued", null));
    if (wait) pending.push(wait);
  }
  await Promise.all(pending);
}
