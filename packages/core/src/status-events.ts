/**
 * The status-event contract: what workers and producers write to the status stream and what
 * the server ingests. One envelope for every job event, with a per-type `data` payload.
 */
import { z } from "zod";
import { type ApiEvent, apiEventSchema } from "./api-events.js";
import { FAILURE_REASONS, JOB_STATUSES } from "./job-status.js";

export const errorInfoSchema = z.object({
  name: z.string(),
  message: z.string(),
  stack: z.string().optional(),
  code: z.string().optional(),
});

const tags = z.record(z.string(), z.string());

const jobEnvelope = {
  jobId: z.string().min(1),
  function: z.string().min(1),
  attempt: z.number().int().min(0),
  parentId: z.string().min(1).nullable(),
  rootId: z.string().min(1),
  workerId: z.string().min(1).nullable(),
  /** Epoch milliseconds. */
  at: z.number().int().nonnegative(),
  tags: tags.optional(),
};

export const jobOriginSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("cron"),
    schedule: z.string().min(1),
    scheduledFor: z.number().int().nonnegative(),
    catchUp: z.boolean(),
  }),
  z.object({ kind: z.literal("event"), event: z.string().min(1), eventId: z.string().min(1) }),
  z.object({ kind: z.literal("replay"), replayOf: z.string().min(1) }),
  z.object({ kind: z.literal("retry"), retryOf: z.string().min(1) }),
]);

const created = {
  input: z.unknown(),
  maxAttempts: z.number().int().min(1),
  priority: z.number().int(),
  idempotencyKey: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  origin: jobOriginSchema.optional(),
};

export const jobEventSchemas = {
  queued: z.object({
    /** Where the job came from: a submit, a promotion, a hand-back at shutdown, a lost lease. */
    from: z.enum(["submit", "scheduled", "retrying", "handed-back", "recovered", "dependencies", "replay"]),
    // The creation fields travel once, with the event that creates the job ("submit").
    ...z.object(created).partial().shape,
  }),
  // Creation fields travel only when the job is created scheduled (not when a DAG child's
  // parents finish and it moves on to its delay).
  scheduled: z.object({ ...z.object(created).partial().shape, runAt: z.number().int().nonnegative() }),
  /** Created with DAG dependencies that are not all done yet. */
  waiting: z.object({
    ...created,
    dependsOn: z.array(z.string().min(1)).min(1),
    onParentFailure: z.enum(["fail", "skip", "continue"]),
  }),
  started: z.object({
    startedAt: z.number().int().nonnegative(),
    queueWaitMs: z.number().nonnegative(),
    deliveries: z.number().int().min(1),
  }),
  progress: z.object({
    progress: z.number().min(0).max(1),
    current: z.number().optional(),
    total: z.number().optional(),
    message: z.string().optional(),
  }),
  checkpoint: z.object({ version: z.number().int().min(1), state: z.unknown() }),
  log: z.object({
    level: z.enum(["debug", "info", "warn", "error"]),
    message: z.string(),
    fields: z.record(z.string(), z.unknown()).optional(),
  }),
  metric: z.object({
    name: z.string().min(1),
    value: z.number(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  retrying: z.object({
    error: errorInfoSchema,
    reason: z.enum(FAILURE_REASONS),
    retryAt: z.number().int().nonnegative(),
    delayMs: z.number().int().nonnegative(),
    nextAttempt: z.number().int().min(2),
  }),
  completed: z.object({ result: z.unknown(), durationMs: z.number().nonnegative() }),
  failed: z.object({
    error: errorInfoSchema,
    reason: z.enum(FAILURE_REASONS),
    durationMs: z.number().nonnegative().optional(),
  }),
  cancelled: z.object({
    reason: z.string().optional(),
    /** The state the job was in when it was cancelled. */
    previous: z.enum(JOB_STATUSES),
  }),
  "dead-lettered": z.object({
    reason: z.enum(FAILURE_REASONS),
    error: errorInfoSchema.optional(),
    attempts: z.number().int().min(0),
  }),
} as const;

export type JobEventType = keyof typeof jobEventSchemas;
export const JOB_EVENT_TYPES = Object.keys(jobEventSchemas) as JobEventType[];

function jobEvent<T extends JobEventType>(type: T) {
  return z.object({ type: z.literal(type), ...jobEnvelope, data: jobEventSchemas[type] });
}

export const jobEventSchema = z.discriminatedUnion("type", [
  jobEvent("queued"),
  jobEvent("scheduled"),
  jobEvent("waiting"),
  jobEvent("started"),
  jobEvent("progress"),
  jobEvent("checkpoint"),
  jobEvent("log"),
  jobEvent("metric"),
  jobEvent("retrying"),
  jobEvent("completed"),
  jobEvent("failed"),
  jobEvent("cancelled"),
  jobEvent("dead-lettered"),
]);

export type JobEvent = z.infer<typeof jobEventSchema>;
export type JobEventData<T extends JobEventType> = z.infer<(typeof jobEventSchemas)[T]>;

export const workerInfoSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  host: z.string(),
  pid: z.number().int(),
  functions: z.array(z.string()),
  concurrency: z.number().int().min(1),
  startedAt: z.number().int().nonnegative(),
});

export type WorkerInfo = z.infer<typeof workerInfoSchema>;

const workerEnvelope = { workerId: z.string().min(1), at: z.number().int().nonnegative() };

export const workerEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("worker.started"), ...workerEnvelope, data: workerInfoSchema }),
  z.object({
    type: z.literal("worker.heartbeat"),
    ...workerEnvelope,
    data: z.object({
      active: z.number().int().nonnegative(),
      held: z.number().int().nonnegative(),
      completed: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
    }),
  }),
  z.object({
    type: z.literal("worker.stopped"),
    ...workerEnvelope,
    data: z.object({ reason: z.string(), handedBack: z.number().int().nonnegative() }),
  }),
]);

export type WorkerEvent = z.infer<typeof workerEventSchema>;

/**
 * A namespace-level event: an application event was sent (docs/events.md). Recorded for every
 * send, also when no handler matched (`delivered: 0`). `parentId`/`rootId` are set when it was
 * sent from inside a running job.
 */
export const eventSentSchema = z.object({
  type: z.literal("event.sent"),
  at: z.number().int().nonnegative(),
  workerId: z.string().min(1).nullable().optional(),
  parentId: z.string().min(1).optional(),
  rootId: z.string().min(1).optional(),
  data: z.object({
    event: z.string().min(1),
    eventId: z.string().min(1),
    payload: z.unknown(),
    /** Jobs the send created or found (one per matching live subscription). */
    delivered: z.number().int().nonnegative(),
    jobIds: z.array(z.string().min(1)),
    idempotencyKey: z.string().min(1).optional(),
  }),
});

export type EventSentEvent = z.infer<typeof eventSentSchema>;

export const statusEventSchema = z.union([
  jobEventSchema,
  workerEventSchema,
  eventSentSchema,
  apiEventSchema,
]);
export type StatusEvent = JobEvent | WorkerEvent | EventSentEvent | ApiEvent;

/**
 * Events that report on a job or worker without changing any state (docs/status-events.md): when
 * a publisher's buffer is at its bound they are dropped, oldest first, so that the events that
 * record a job's state (lifecycle events, checkpoints, sends) are kept.
 */
export const DROPPABLE_EVENT_TYPES: ReadonlySet<StatusEvent["type"]> = new Set([
  "progress",
  "log",
  "metric",
  "worker.heartbeat",
]);

/** Field name of the JSON-encoded event in each status-stream entry. */
export const STATUS_EVENT_FIELD = "e";
