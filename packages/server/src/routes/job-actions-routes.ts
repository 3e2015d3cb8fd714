/**
 * Operator actions on one job: cancel and retry. Both act on the queue (Redis) through the SDK's
 * `Jobs`, the same atomic scripts the workers use; the history follows from the status events
 * they publish. When Redis no longer holds the job (its queue retention passed, or Redis lost
 * it), the history answers instead: a failed or cancelled job is retried from the history's
 * stored input (`Jobs.resubmit`), and a cancel says why it is no longer possible; an id neither
 * knows is a 404.
 */
import {
  CANCELLABLE_STATUSES,
  cancelJobResultSchema,
  formatDuration,
  isTerminal,
  replayResultSchema,
} from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { QueueAdmin } from "../connections/queue-admin.js";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { ApiError, conflict, notFound } from "../http/api-error.js";
import { ITEM_ERRORS } from "../http/error-responses.js";
import { jobIdSchema } from "../http/query-params.js";
import { callQueue } from "../http/queue-errors.js";
import { queuedJobState } from "./queued-job-state.js";

/** Longest cancel reason kept (it is stored on the job and shown in the history). */
export const MAX_CANCEL_REASON_LENGTH = 1_000;

const ACTION_ERRORS = {
  ...ITEM_ERRORS,
  409: ITEM_ERRORS[404].describe(
    "The job's status does not allow the action; `details.status` says which it is.",
  ),
} as const;

const params = z.object({ id: jobIdSchema() });

const cancelBody = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(1, { error: "give a non-empty reason or leave it out" })
      .max(MAX_CANCEL_REASON_LENGTH, { error: `a reason is at most ${MAX_CANCEL_REASON_LENGTH} characters` })
      .optional()
      .describe("Why: stored on the job as its cancel reason."),
  })
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

/** The history's row of a job the queue no longer holds, if it has one. */
async function historyRow(deps: ServerDependencies, id: string) {
  return deps.withDatabase((db) =>
    db
      .selectFrom("jobs")
      .select(["id", "function", "status", "input", "max_attempts", "priority", "tags", "metadata"])
      .where("id", "=", id)
      .executeTakeFirst(),
  );
}

function isQueueNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.statusCode === 404;
}

/** A JSON object column, or {} when it holds nothing (or not an object). */
function jsonObjectOf(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  const value = JSON.parse(text) as unknown;
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Why a job the queue no longer holds cannot be cancelled, or the 404 when the history has none. */
async function cancelNotInQueue(deps: ServerDependencies, id: string, notFound: unknown): Promise<unknown> {
  if (!isQueueNotFound(notFound)) return notFound;
  const row = await historyRow(deps, id);
  if (row === undefined) return notFound;
  const retention = formatDuration(deps.config.jobRetention);
  const why = isTerminal(row.status)
    ? `it already finished ('${row.status}') and the queue dropped it after UPNEXT_JOB_RETENTION (${retention}): there is nothing left to cancel`
    : `the history last saw it '${row.status}', but the queue no longer holds it (Redis lost it, or its record expired), so no worker can be told to stop it`;
  return conflict(`Job '${id}' can no longer be cancelled: ${why}.`, {
    jobId: id,
    status: row.status,
    inQueue: false,
    cancellable: false,
  });
}

export function jobActionRoutes(deps: ServerDependencies, admin: QueueAdmin) {
  /** The queue no longer holds the job: a new job from the history's record, if it may be retried. */
  const retryFromHistory = async (id: string, force: boolean) => {
    const row = await historyRow(deps, id);
    if (row === undefined) throw notFound("Job", id);
    if (row.status !== "failed" && row.status !== "cancelled") {
      throw conflict(
        `Job '${id}' cannot be retried: its status is '${row.status}'; only failed or cancelled jobs can be retried.`,
        { jobId: id, status: row.status, inQueue: false },
      );
    }
    const { job, created } = await callQueue(deps, () =>
      admin.jobs.resubmit(
        {
          id,
          function: row.function,
          input: row.input ?? "null",
          maxAttempts: row.max_attempts ?? 1,
          priority: row.priority,
          tags: jsonObjectOf(row.tags) as Record<string, string>,
          metadata: jsonObjectOf(row.metadata),
        },
        { force },
      ),
    );
    if (!created) {
      throw conflict(
        `Job '${id}' was already retried as '${job.id}'; send {"force": true} to retry it again.`,
        { jobId: id, status: row.status, replayedAs: job.id },
      );
    }
    return job;
  };
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
        const { id } = request.params;
        const reason = request.body?.reason;
        const outcome = await callQueue(deps, () => admin.jobs.cancel(id, reason)).catch(
          async (error: unknown) => {
            throw await cancelNotInQueue(deps, id, error);
          },
        );
        if (!outcome.cancelled) {
          const status = outcome.job.status;
          throw conflict(
            `Job '${id}' is already '${status}'; only ${CANCELLABLE_STATUSES.join(", ")} jobs can be cancelled.`,
            { jobId: id, status, terminal: isTerminal(status) },
          );
        }
        return { cancelled: true as const, job: queuedJobState(outcome.job) };
      },
    );

    routes.post(
      "/api/v1/jobs/:id/retry",
      {
        schema: {
          summary: "Retry a failed or cancelled job",
          description:
            "Runs the job again as a new job of the same function with the same input, tags, metadata, priority, timeout and attempt budget, linked to the original by `origin: {kind: \"replay\", replayOf}` (the original keeps its status and records the new id). A dead-lettered job is replayed exactly as `POST /api/v1/dead-letters/:jobId/replay` does. Once the queue no longer holds the job (after UPNEXT_JOB_RETENTION), it is retried from the history's stored input, tags, metadata, priority and attempt budget (the function's own timeout applies). A job still going or complete answers 409; a job retried before answers 409 unless `force` is true.",
          tags: ["jobs"],
          params,
          body: retryBody,
          response: { 201: replayResultSchema, ...ACTION_ERRORS },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const force = request.body?.force === true;
        const inQueue = await callQueue(deps, () => admin.jobs.retry(id, { force })).catch(
          (error: unknown) => {
            if (isQueueNotFound(error)) return undefined;
            throw error;
          },
        );
        const { job, deadLettered } = inQueue ?? {
          job: await retryFromHistory(id, force),
          deadLettered: false,
        };
        const snapshot = await callQueue(deps, () => job.status());
        return reply.code(201).send({ replayOf: id, deadLettered, job: queuedJobState(snapshot) });
      },
    );
  };
}
