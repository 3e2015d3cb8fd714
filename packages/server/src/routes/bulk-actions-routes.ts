/**
 * Bulk actions (docs/server.md, "Bulk actions"): cancel or retry many jobs, replay or purge many
 * dead letters, one request per action. A request names its jobs (`ids` / `jobIds`, at most
 * MAX_BULK_IDS) or gives a `filter` ("all matching"); a filter must be confirmed with the count
 * a call without `confirm` reports, as the dead-letter purge is. The server works through them in
 * batches (actions/bulk-runner.ts) and, given an `operationId`, records how far it has got for
 * GET /api/v1/bulk-operations/:operationId.
 */
import {
  type BulkAction,
  CANCELLABLE_STATUSES,
  FAILURE_REASONS,
  type JobStatus,
  MAX_BULK_IDS,
  MAX_BULK_MATCHING,
  bulkActionResultSchema,
  bulkOperationIdSchema,
  bulkProgressSchema,
} from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { DeadLetterFilter } from "upnext";
import { z } from "zod";
import { progressRecorder, readProgress } from "../actions/bulk-progress.js";
import { BULK_BATCH_SIZE, idBatches, runBulk } from "../actions/bulk-runner.js";
import type { QueueAdmin } from "../connections/queue-admin.js";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { ApiError, badRequest, conflict } from "../http/api-error.js";
import { ITEM_ERRORS, LIST_ERRORS } from "../http/error-responses.js";
import { jobFilterFields, jobListFilterOf } from "../http/job-filter-params.js";
import { functionNameSchema, jobIdSchema, oneOfSchema, timeSchema } from "../http/query-params.js";
import { callQueue } from "../http/queue-errors.js";
import type { JobListFilter } from "../store/job-queries.js";
import { countJobs, jobIdBatches } from "../store/job-selection.js";
import { cancelQueuedJob, cancelReasonSchema, retryQueuedJob } from "./job-actions-routes.js";

/** Statuses a retry accepts (a dead-lettered job is `failed`). */
const RETRYABLE: readonly JobStatus[] = ["failed", "cancelled"];

const BULK_ERRORS = {
  ...LIST_ERRORS,
  409: ITEM_ERRORS[404].describe(
    "More jobs or entries match the filter now than `confirm` says: nothing was done; `details.matching` is the new count.",
  ),
} as const;

const confirmSchema = z
  .union([z.number().int().nonnegative(), z.literal("yes")])
  .optional()
  .describe(
    'With `filter`: the number of matches a call without `confirm` reported (the action covers at most that many; more matching now is a 409), or "yes" for whatever matches.',
  );

const operationIdField = bulkOperationIdSchema
  .optional()
  .describe(
    "An id of your choosing (8-64 of A-Z a-z 0-9 - _): GET /api/v1/bulk-operations/:operationId reports progress.",
  );

const jobIdsField = z
  .array(jobIdSchema())
  .min(1, { error: "give at least one job id" })
  .max(MAX_BULK_IDS, { error: `give at most ${MAX_BULK_IDS} job ids; use filter for more` })
  .optional();

const jobSelection = {
  ids: jobIdsField.describe("These jobs."),
  filter: z
    .strictObject(jobFilterFields)
    .optional()
    .describe("All jobs matching the jobs-list filter (the same fields as GET /api/v1/jobs, without q)."),
  confirm: confirmSchema,
  operationId: operationIdField,
};

const cancelBody = z.strictObject({ ...jobSelection, reason: cancelReasonSchema });
const retryBody = z.strictObject({
  ...jobSelection,
  force: z.boolean().optional().describe("Retry jobs that were retried before too; default false (skipped)."),
});

const deadLetterFilter = z.strictObject({
  function: functionNameSchema().optional().describe("Only this function's entries."),
  reason: oneOfSchema("failure reason", FAILURE_REASONS)
    .optional()
    .describe("Only jobs that died for this reason."),
  from: timeSchema().optional().describe("Died at or after this time."),
  to: timeSchema().optional().describe("Died before this time."),
});

const deadLetterSelection = {
  jobIds: jobIdsField.describe("These entries (their job ids)."),
  filter: deadLetterFilter.optional().describe("All entries matching (as the dead-letter list filters)."),
  confirm: confirmSchema,
  operationId: operationIdField,
};

const replayBody = z.strictObject({
  ...deadLetterSelection,
  force: z.boolean().optional().describe("Replay entries replayed before too; default false (skipped)."),
});
const purgeBody = z.strictObject(deadLetterSelection);

interface Selection<F> {
  readonly ids?: readonly string[] | undefined;
  readonly filter?: F | undefined;
  readonly confirm?: number | "yes" | undefined;
}

/** Exactly one of ids and filter; a filter's count must be confirmed and not grow past it. */
function checkSelection(selection: Selection<unknown>, idsField: string): void {
  if ((selection.ids === undefined) === (selection.filter === undefined)) {
    throw badRequest(
      `Give either ${idsField} (these ones) or filter (all matching), not both and not neither.`,
      {
        field: idsField,
      },
    );
  }
  if (selection.ids !== undefined && selection.confirm !== undefined) {
    throw badRequest(`confirm goes with filter; ${idsField} need none.`, { field: "confirm" });
  }
}

function confirmMatching(action: BulkAction, matching: number, confirm: number | "yes" | undefined): number {
  if (matching > MAX_BULK_MATCHING) {
    throw badRequest(
      `${matching} match; one request acts on at most ${MAX_BULK_MATCHING}. Narrow the filter (a function, a status, a time range) and repeat.`,
      { field: "filter", matching },
    );
  }
  if (confirm === undefined) {
    throw badRequest(
      `This ${action} needs confirmation: ${matching} match; send "confirm": ${matching} (or "yes") to go ahead.`,
      { field: "confirm", matching },
    );
  }
  if (confirm !== "yes" && matching > confirm) {
    throw conflict(
      `${matching} match now, more than the ${confirm} confirmed: nothing was done. Check them, then send "confirm": ${matching}.`,
      { field: "confirm", matching, confirm },
    );
  }
  return confirm === "yes" ? matching : Math.min(matching, confirm);
}

/** The statuses an action can change, narrowed by the filter's own; none left: undefined. */
function actionable(filter: JobListFilter, allowed: readonly JobStatus[]): JobListFilter | undefined {
  const statuses =
    filter.statuses === undefined ? allowed : filter.statuses.filter((status) => allowed.includes(status));
  return statuses.length === 0 ? undefined : { ...filter, statuses };
}

export function bulkActionRoutes(deps: ServerDependencies, admin: QueueAdmin) {
  const read = <T>(query: Parameters<ServerDependencies["withDatabase"]>[0]) =>
    deps.withDatabase(query) as Promise<T>;

  /** The ids and count of a job selection (filter counted and confirmed first). */
  async function jobRun(
    action: BulkAction,
    body: Selection<Parameters<typeof jobListFilterOf>[0]>,
    allowed: readonly JobStatus[],
  ) {
    checkSelection(body, "ids");
    if (body.ids !== undefined) return { total: new Set(body.ids).size, batches: idBatches(body.ids) };
    const filter = actionable(jobListFilterOf(body.filter ?? {}), allowed);
    if (filter === undefined) {
      confirmMatching(action, 0, body.confirm);
      return { total: 0, batches: idBatches([]) };
    }
    // One bound for the count and the work: jobs created meanwhile are not part of it.
    const bounded = { ...filter, to: Math.min(filter.to ?? Number.MAX_SAFE_INTEGER, Date.now()) };
    const matching = await deps.withDatabase((db) => countJobs(db, bounded));
    const total = confirmMatching(action, matching, body.confirm);
    return { total, batches: jobIdBatches(read, bounded, BULK_BATCH_SIZE, total) };
  }

  return (app: FastifyInstance): void => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.post(
      "/api/v1/jobs/bulk/cancel",
      {
        schema: {
          summary: "Cancel many jobs",
          description:
            "Cancels each job as POST /api/v1/jobs/:id/cancel does. Jobs that finished meanwhile are skipped and listed in `errors`. With `filter`, only jobs whose status allows a cancel are counted.",
          tags: ["jobs"],
          body: cancelBody,
          response: { 200: bulkActionResultSchema, ...BULK_ERRORS },
        },
      },
      async (request) => {
        const { reason, operationId, ...selection } = request.body;
        const { total, batches } = await jobRun("cancel", selection, CANCELLABLE_STATUSES);
        return runBulk({
          action: "cancel",
          total,
          batches,
          progress: progressRecorder(deps, "cancel", operationId),
          act: async (id) => {
            await cancelQueuedJob(deps, admin, id, reason);
            return {};
          },
        });
      },
    );

    routes.post(
      "/api/v1/jobs/bulk/retry",
      {
        schema: {
          summary: "Retry many failed or cancelled jobs",
          description:
            "Retries each job as POST /api/v1/jobs/:id/retry does (a new job each, listed in `created`). Jobs retried before are skipped unless `force`. With `filter`, only failed and cancelled jobs are counted.",
          tags: ["jobs"],
          body: retryBody,
          response: { 200: bulkActionResultSchema, ...BULK_ERRORS },
        },
      },
      async (request) => {
        const { force, operationId, ...selection } = request.body;
        const { total, batches } = await jobRun("retry", selection, RETRYABLE);
        return runBulk({
          action: "retry",
          total,
          batches,
          progress: progressRecorder(deps, "retry", operationId),
          act: async (id) => {
            const { job } = await retryQueuedJob(deps, admin, id, force === true);
            return { created: job.id };
          },
        });
      },
    );

    const sdkFilter = (filter: z.infer<typeof deadLetterFilter>, now: number): DeadLetterFilter => ({
      before: Math.min(filter.to ?? now, now),
      ...(filter.from === undefined ? {} : { since: filter.from }),
      ...(filter.function === undefined ? {} : { function: filter.function }),
      ...(filter.reason === undefined ? {} : { reason: filter.reason }),
    });

    routes.post(
      "/api/v1/dead-letters/bulk/replay",
      {
        schema: {
          summary: "Replay many dead-lettered jobs",
          description:
            "Replays each entry as POST /api/v1/dead-letters/:jobId/replay does. Entries replayed before are skipped unless `force`.",
          tags: ["dead-letters"],
          body: replayBody,
          response: { 200: bulkActionResultSchema, ...BULK_ERRORS },
        },
      },
      async (request) => {
        const { force, operationId, jobIds, ...rest } = request.body;
        const selection = { ids: jobIds, ...rest };
        checkSelection(selection, "jobIds");
        const progress = progressRecorder(deps, "replay", operationId);
        if (jobIds !== undefined) {
          return runBulk({
            action: "replay",
            total: new Set(jobIds).size,
            batches: idBatches(jobIds),
            progress,
            act: async (id) => {
              const ref = await callQueue(deps, () =>
                admin.deadLetters.replay(id, { force: force === true }),
              );
              return { created: ref.id };
            },
          });
        }
        const filter = sdkFilter(rest.filter ?? {}, Date.now());
        const matching = await callQueue(deps, () => admin.deadLetters.count(filter));
        confirmMatching("replay", matching, rest.confirm);
        await progress.update(0, matching);
        const outcome = await callQueue(deps, () =>
          admin.deadLetters.replayAll(
            { ...filter, force: force === true, batchSize: BULK_BATCH_SIZE },
            (step) => {
              void progress.update(step.done, step.total);
            },
          ),
        );
        await progress.update(outcome.total, outcome.total, true);
        return {
          action: "replay" as const,
          matched: outcome.total,
          succeeded: outcome.replayed,
          skipped: outcome.skipped,
          errors: [],
          created: [],
        };
      },
    );

    routes.post(
      "/api/v1/dead-letters/bulk/purge",
      {
        schema: {
          summary: "Purge many dead-lettered jobs",
          description:
            "Deletes the entries and their jobs (replays already made stay). Ids that are not dead-lettered are skipped.",
          tags: ["dead-letters"],
          body: purgeBody,
          response: { 200: bulkActionResultSchema, ...BULK_ERRORS },
        },
      },
      async (request) => {
        const { operationId, jobIds, ...rest } = request.body;
        const selection = { ids: jobIds, ...rest };
        checkSelection(selection, "jobIds");
        const progress = progressRecorder(deps, "purge", operationId);
        if (jobIds !== undefined) {
          const unique = [...new Set(jobIds)];
          const result = {
            action: "purge" as const,
            matched: unique.length,
            succeeded: 0,
            skipped: 0,
            errors: [] as { id: string; code: string; message: string }[],
            created: [],
          };
          await progress.update(0, unique.length);
          for await (const batch of idBatches(unique)) {
            const { purged, notPurged } = await callQueue(deps, () => admin.deadLetters.purgeJobs(batch));
            result.succeeded += purged.length;
            result.skipped += notPurged.length;
            for (const id of notPurged.slice(0, Math.max(0, 20 - result.errors.length))) {
              result.errors.push({ id, code: "not_found", message: `Job '${id}' is not dead-lettered.` });
            }
            await progress.update(result.succeeded + result.skipped, unique.length);
          }
          await progress.update(unique.length, unique.length, true);
          return result;
        }
        const filter = sdkFilter(rest.filter ?? {}, Date.now());
        const matching = await callQueue(deps, () => admin.deadLetters.count(filter));
        confirmMatching("purge", matching, rest.confirm);
        await progress.update(0, matching);
        const outcome = await callQueue(deps, () =>
          admin.deadLetters.purge({ ...filter, batchSize: BULK_BATCH_SIZE }, (step) => {
            void progress.update(step.done, step.total);
          }),
        );
        await progress.update(outcome.purged, outcome.total, true);
        return {
          action: "purge" as const,
          matched: outcome.total,
          succeeded: outcome.purged,
          skipped: outcome.total - outcome.purged,
          errors: [],
          created: [],
        };
      },
    );

    routes.get(
      "/api/v1/bulk-operations/:operationId",
      {
        schema: {
          summary: "How far a bulk action has got",
          description:
            "For the `operationId` a bulk action was sent with: done and total so far, and whether it finished. Kept 10 minutes after the last step.",
          tags: ["jobs"],
          params: z.object({ operationId: bulkOperationIdSchema }),
          response: { 200: bulkProgressSchema, ...ITEM_ERRORS },
        },
      },
      async (request) => {
        const { operationId } = request.params;
        const progress = await readProgress(deps, operationId);
        if (progress === null) {
          throw new ApiError(
            404,
            "not_found",
            `No bulk operation '${operationId}' (unknown, or finished over 10 minutes ago).`,
            {
              operationId,
            },
          );
        }
        return progress;
      },
    );
  };
}
