/**
 * Answers of the operator actions: cancel and retry a job, pause and resume a function. Each
 * says the state the action left behind, read back from the queue (Redis), not from the history.
 */
import { z } from "zod";
import { FAILURE_REASONS, JOB_STATUSES } from "../job-status.js";
import { isoTimeSchema } from "./page.js";

/** A job as the queue holds it right after an action. */
export const queuedJobStateSchema = z.object({
  id: z.string(),
  function: z.string(),
  status: z.enum(JOB_STATUSES),
  failureReason: z.enum(FAILURE_REASONS).nullable(),
  cancelReason: z.string().nullable(),
  attempt: z.number().int(),
  maxAttempts: z.number().int(),
  workerId: z.string().nullable(),
  createdAt: isoTimeSchema,
  startedAt: isoTimeSchema.nullable(),
  finishedAt: isoTimeSchema.nullable(),
  /** The job in the history API. */
  href: z.string(),
});
export type QueuedJobState = z.infer<typeof queuedJobStateSchema>;

export const cancelJobResultSchema = z.object({
  cancelled: z.literal(true),
  job: queuedJobStateSchema,
});
export type CancelJobResult = z.infer<typeof cancelJobResultSchema>;

/** A retry (or dead-letter replay): the new job, linked to the one it re-runs. */
export const replayResultSchema = z.object({
  /** The job that was re-run. */
  replayOf: z.string(),
  /** Whether it was in a dead-letter set (the retry was then its replay). */
  deadLettered: z.boolean(),
  job: queuedJobStateSchema,
});
export type ReplayResult = z.infer<typeof replayResultSchema>;

/** A function's queue state after a pause or resume. */
export const functionQueueStateSchema = z.object({
  name: z.string(),
  paused: z.boolean(),
  /** Waiting to be claimed. */
  queued: z.number().int().nonnegative(),
  scheduled: z.number().int().nonnegative(),
  /** Claimed and not finished, across all workers. */
  active: z.number().int().nonnegative(),
  /** DAG children waiting for their parents. */
  waiting: z.number().int().nonnegative(),
  deadLettered: z.number().int().nonnegative(),
});
export type FunctionQueueState = z.infer<typeof functionQueueStateSchema>;
