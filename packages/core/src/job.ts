import type { ErrorInfo } from "./errors.js";
import type { FailureReason, JobStatus } from "./job-status.js";

/**
 * How a job came to be: submitted, fired by a cron schedule, by an event, or a re-run of an earlier
 * job ("replay": a replay of a failed or dead-lettered job, or a retry from the history once the
 * queue has dropped the original). The history stores it and filters job lists by it.
 */
export const JOB_KINDS = ["task", "cron", "event", "replay"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** Where a job came from, when it was not a plain submit. */
export type JobOrigin =
  | {
      readonly kind: "cron";
      readonly schedule: string;
      readonly scheduledFor: number;
      readonly catchUp: boolean;
    }
  | { readonly kind: "event"; readonly event: string; readonly eventId: string }
  | { readonly kind: "replay"; readonly replayOf: string }
  /** Retried by the history server from its stored input after the queue dropped the original. */
  | { readonly kind: "retry"; readonly retryOf: string };

/**
 * The job kind an origin gives: a retry from the history is a re-run like a replay, so job lists
 * filtered by kind "replay" show both (the origin keeps them apart).
 */
export function jobKindOf(origin: JobOrigin | null | undefined): JobKind {
  if (origin == null) return "task";
  switch (origin.kind) {
    case "cron":
    case "event":
    case "replay":
      return origin.kind;
    case "retry":
      return "replay";
  }
}

/** A job as stored, read back by `JobRef.status()`, the CLI and the server. */
export interface JobSnapshot {
  readonly id: string;
  readonly function: string;
  readonly status: JobStatus;
  readonly input: unknown;
  /** Attempts started so far (1 while the first attempt runs). */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Deliveries of the current attempt (more than 1 after a lost lease). */
  readonly deliveries: number;
  readonly priority: number;
  readonly parentId: string | null;
  readonly rootId: string;
  readonly idempotencyKey: string | null;
  readonly createdAt: number;
  readonly scheduledAt: number | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly workerId: string | null;
  readonly progress: number;
  readonly result?: unknown;
  readonly error?: ErrorInfo;
  readonly failureReason: FailureReason | null;
  readonly cancelReason?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number | null;
  /** Set for cron runs, event deliveries, replays and retries from the history. */
  readonly origin: JobOrigin | null;
}

export type JobOutcome =
  | { readonly status: "complete"; readonly result: unknown }
  | { readonly status: "failed"; readonly error: ErrorInfo; readonly reason: FailureReason }
  | { readonly status: "cancelled"; readonly reason?: string };
