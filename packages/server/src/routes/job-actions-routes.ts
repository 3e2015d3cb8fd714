/**
 * Operator actions on one job: cancel and retry. Both act on the queue (Redis) through the SDK's
 * `Jobs`, the same atomic scripts the workers use; the history follows from the status events
 * they publish. The history is read only to tell "never existed" (404) from "finished and no
 * longer in the queue" (409) when Redis does not know the id.
 */
import {
  type JobStatus,
  cancelJobResultSchema,
  formatDuration,
  isTerminal,
  replayResultSchema,
} from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { QueueAdmin } from "../dependencies/queue-admin.js";
import type { ServerDependencies } from "../dependencies/server-dependencies.js";
import { ApiError, conflict } from "../http/api-error.js";
import { ITEM_ERRORS } from "../http/error-responses.js";
import { jobIdSchema } from "../http/query-params.js";
import { callQueue } from "../http/queue-errors.js";
import { queuedJobState } from "./queued-job-state.js";

/** Longest cancel reason kept (it is stored on the job and shown in the history). */
export const MAX_CANCEL_REASON_LENGTH = 1_000;

export const CANCELLABLE: readonly JobStatus[] = ["waiting", "scheduled", "queued", "active", "retrying"];

const ACTION_ERRORS = {
  ...ITEM_ERRORS,
  409: ITEM_ERRORS[404].describe(
    "The job's status does not allow the action; `details.status` says which it is.",
  ),
} as const;

const params = z.object({ id: jobIdSchema() });

/** The reason a cancel may carry (single and bulk). */
export const cancelReasonSchema = z
  .string()
  .trim()
  .min(1, { error: "give a non-empty reason or leave it out" })
  .max(MAX_CANCEL_REASON_LENGTH, { error: `a reason is at most ${MAX_CANCEL_REASON_LENGTH} characters` })
  .optional()
  .describe("Why: stored on the job as its cancel reason.");

const cancelBody = z
  .strictObject({ reason: cancelReasonSchema })
  // No body at all arrives as null.
  .nullish();

const retryBody = z
  .strictObject({
    force: z
      .boolean()
      .optional()
      .describe("Retry a job that was already retried (or replayed) before; default false (409)."),
  })
  // No body at all arrives as null.
  .nullish();

/** The status the history shows for a job the queue no longer holds, if it shows one. */
async function historyStatus(deps: ServerDependencies, id: string): Promise<JobStatus | undefined> {
  const row = await deps.withDatabase((db) =>
    db.selectFrom("jobs").select("status").where("id", "=", id).executeTakeFirst(),
  );
  return row?.status;
}

/**
 * Redis does not know the id: a 404 when the history does not either, else a 409 saying the job
 * is finished and its queue record expired (UPNEXT_JOB_RETENTION).
 */
async function notInQueue(
  deps: ServerDependencies,
  id: string,
  action: "cancelled" | "retried",
  notFound: unknown,
): Promise<unknown> {
  if (!(notFound instanceof ApiError) || notFound.statusCode !== 404) return notFound;
  const status = await historyStatus(deps, id);
  if (status === undefined) return notFound;
  const retention = formatDuration(deps.config.jobRetention);
  const hint = action === "retried" ? " Submit a new job with its input instead." : "";
  return conflict(
    `Job '${id}' is '${status}' in the history but no longer in the queue (finished jobs stay there for UPNEXT_JOB_RETENTION, ${retention}); it cannot be ${action}.${hint}`,
    { jobId: id, status, inQueue: false },
  );
}

/** Cancels one job as POST /jobs/:id/cancel does (the bulk cancel calls it per job). */
export async function cancelQueuedJob(
  deps: ServerDependencies,
  admin: QueueAdmin,
  id: string,
  reason: string | undefined,
) {
  const outcome = await callQueue(deps, () => admin.jobs.cancel(id, reason)).catch(async (error: unknown) => {
    throw await notInQueue(deps, id, "cancelled", error);
  });
  if (!outcome.cancelled) {
    const status = outcome.job.status;
    throw conflict(
      `Job '${id}' is already '${status}'; only ${CANCELLABLE.join(", ")} jobs can be cancelled.`,
      {
        jobId: id,
        status,
        terminal: isTerminal(status),
      },
    );
  }
  return outcome.job;
}

/** Retries one job as POST /jobs/:id/retry does (the bulk retry calls it per job). */
export async function retryQueuedJob(
  deps: ServerDependencies,
  admin: QueueAdmin,
  id: string,
  force: boolean,
) {
  return callQueue(deps, () => admin.jobs.retry(id, { force })).catch(async (error: unknown) => {
    throw await notInQueue(deps, id, "retried", error);
  });
}

export function jobActionRoutes(deps: ServerDependencies, admin: QueueAdmin) {
  return (app: FastifyInstance): void => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.post(
      "/api/v1/jobs/:id/cancel",
      {
        schema: {
          summary: "Cancel a job",
          description:
            "A waiting, scheduled or queued job never runs. A running job's handler sees its abort signal, its worker slot is freed at once, and a result it returns late is discarded. A finished job answers 409 with its status.",
          tags: ["jobs"],
          params,
          body: cancelBody,
          response: { 200: cancelJobResultSchema, ...ACTION_ERRORS },
        },
      },
      async (request) => {
        const job = await cancelQueuedJob(deps, admin, request.params.id, request.body?.reason);
        return { cancelled: true as const, job: queuedJobState(job) };
      },
    );

    routes.post(
      "/api/v1/jobs/:id/retry",
      {
        schema: {
          summary: "Retry a failed or cancelled job",
          description:
            'Runs the job again as a new job of the same function with the same input, tags, metadata, priority, timeout and attempt budget, linked to the original by `origin: {kind: "replay", replayOf}` (the original keeps its status and records the new id). A dead-lettered job is replayed exactly as `POST /api/v1/dead-letters/:jobId/replay` does. A job still going or complete answers 409; a job retried before answers 409 unless `force` is true.',
          tags: ["jobs"],
          params,
          body: retryBody,
          response: { 201: replayResultSchema, ...ACTION_ERRORS },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const force = request.body?.force === true;
        const { job, deadLettered } = await retryQueuedJob(deps, admin, id, force);
        const snapshot = await callQueue(deps, () => job.status());
        return reply.code(201).send({ replayOf: id, deadLettered, job: queuedJobState(snapshot) });
      },
    );
  };
}
