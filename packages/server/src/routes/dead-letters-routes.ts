/**
 * Dead letters (jobs that failed for good), from the queue's dead-letter sets through the SDK's
 * `DeadLetters`: list (filters, keyset pages both ways), show, replay, and purge, which must be
 * confirmed with the number of entries it will delete (or "yes").
 */
import {
  type DeadLetter,
  FAILURE_REASONS,
  deadLetterListSchema,
  deadLetterPurgeResponseSchema,
  deadLetterSchema,
  parseDuration,
  replayResultSchema,
} from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { DeadLetterEntry, DeadLetterFilter } from "upnext";
import { NotDeadLetteredError } from "upnext";
import { z } from "zod";
import type { QueueAdmin } from "../connections/queue-admin.js";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { ApiError, badRequest, conflict } from "../http/api-error.js";
import { ITEM_ERRORS, LIST_ERRORS } from "../http/error-responses.js";
import { isoTime, isoTimeOrNull } from "../lib/iso-time.js";
import { decodeCursor, pageInfo, pageQuerySchema } from "../http/pagination.js";
import { encodeCursor } from "../store/keyset.js";
import { functionNameSchema, jobIdSchema, oneOfSchema, timeSchema } from "../http/query-params.js";
import { callQueue, queueApiError } from "../http/queue-errors.js";
import { jobHref, queuedJobState } from "./queued-job-state.js";

const ACTION_ERRORS = {
  ...ITEM_ERRORS,
  409: ITEM_ERRORS[404].describe("The job is not dead-lettered, or was replayed before (send force)."),
} as const;

const listQuery = pageQuerySchema.extend({
  function: functionNameSchema().optional().describe("Only this function's entries."),
  reason: oneOfSchema("failure reason", FAILURE_REASONS)
    .optional()
    .describe("Only jobs that died for this reason."),
  from: timeSchema().optional().describe("Died at or after this time (ISO-8601 or epoch ms)."),
  to: timeSchema().optional().describe("Died before this time (ISO-8601 or epoch ms)."),
  replayed: z
    .enum(["true", "false"], { error: "use true (replayed entries only) or false (not replayed yet)" })
    .optional()
    .describe("true: only replayed entries; false: only those not replayed yet."),
});

const params = z.object({ jobId: jobIdSchema() });

const replayBody = z
  .strictObject({
    force: z.boolean().optional().describe("Replay an entry that was replayed before; default false (409)."),
  })
  // No body at all arrives as null.
  .nullish();

const purgeBody = z.strictObject({
  function: functionNameSchema().optional().describe("Purge this function's entries."),
  all: z.literal(true).optional().describe("Purge every function's entries (instead of `function`)."),
  olderThan: z
    .union([z.string(), z.number()])
    .optional()
    .describe('Only entries that died more than this long ago: a duration such as "7d" or milliseconds.'),
  reason: oneOfSchema("failure reason", FAILURE_REASONS)
    .optional()
    .describe("Only jobs that died for this reason."),
  confirm: z
    .union([z.number().int().nonnegative(), z.literal("yes")])
    .optional()
    .describe(
      'The number of entries the purge deletes (as a call without `confirm` reports it), or "yes" to delete whatever matches.',
    ),
});

export function presentDeadLetter(entry: DeadLetterEntry): DeadLetter {
  return {
    jobId: entry.jobId,
    function: entry.function,
    reason: entry.reason,
    error: entry.error,
    attempts: entry.attempts,
    maxAttempts: entry.maxAttempts,
    input: entry.input,
    failedAt: isoTime(entry.failedAt),
    createdAt: isoTime(entry.createdAt),
    tags: entry.tags,
    metadata: entry.metadata,
    origin: entry.origin,
    replayedAs: entry.replayedAs,
    replayedAt: isoTimeOrNull(entry.replayedAt),
    replays: entry.replays,
    href: jobHref(entry.jobId),
  };
}

/** The SDK cursor inside the API's opaque one (the SDK's says which way it pages). */
function sdkCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const [key] = decodeCursor(cursor, 1).key;
  if (typeof key !== "string") throw badRequest("The cursor is not valid for this list.", { cursor });
  return key;
}

function apiCursor(cursor: string | null, direction: "after" | "before"): string | null {
  return cursor === null ? null : encodeCursor({ key: [cursor], direction });
}

/** `olderThan` as the time before which entries died (exclusive). */
function olderThanBound(value: string | number | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(value, "olderThan");
  } catch {
    throw badRequest(
      `Invalid olderThan ${JSON.stringify(value)}: give a duration such as "7d", "12h" or "30m", or milliseconds.`,
      { field: "olderThan", value },
    );
  }
  return now - ms;
}

export function deadLetterRoutes(deps: ServerDependencies, admin: QueueAdmin) {
  const { deadLetters } = admin;
  return (app: FastifyInstance): void => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.get(
      "/api/v1/dead-letters",
      {
        schema: {
          summary: "List dead-lettered jobs",
          description:
            "Newest first (time died, then job id), keyset-paginated both ways. A `reason` filter reads each entry's job, so a rare reason reads through the whole time range.",
          tags: ["dead-letters"],
          querystring: listQuery,
          response: { 200: deadLetterListSchema, ...LIST_ERRORS },
        },
      },
      async (request) => {
        const query = request.query;
        if (query.from !== undefined && query.to !== undefined && query.from >= query.to) {
          throw badRequest(`from (${isoTime(query.from)}) must be earlier than to (${isoTime(query.to)}).`, {
            field: "from",
          });
        }
        const cursor = sdkCursor(query.cursor);
        const page = await callQueue(deps, () =>
          deadLetters.list({
            limit: query.limit,
            ...(cursor === undefined ? {} : { cursor }),
            ...(query.function === undefined ? {} : { function: query.function }),
            ...(query.reason === undefined ? {} : { reason: query.reason }),
            ...(query.from === undefined ? {} : { since: query.from }),
            ...(query.to === undefined ? {} : { before: query.to }),
            ...(query.replayed === undefined ? {} : { replayed: query.replayed === "true" }),
          }),
        );
        const cursors = {
          nextCursor: apiCursor(page.nextCursor, "after"),
          prevCursor: apiCursor(page.prevCursor, "before"),
        };
        return { items: page.entries.map(presentDeadLetter), page: pageInfo(request, query.limit, cursors) };
      },
    );

    routes.get(
      "/api/v1/dead-letters/:jobId",
      {
        schema: {
          summary: "Show a dead-lettered job",
          description: "A job that exists but is not dead-lettered is a 404 whose details give its status.",
          tags: ["dead-letters"],
          params,
          response: { 200: deadLetterSchema, ...ITEM_ERRORS },
        },
      },
      async (request) => {
        const { jobId } = request.params;
        try {
          return presentDeadLetter(await deps.withRedis(() => deadLetters.get(jobId)));
        } catch (error) {
          if (error instanceof NotDeadLetteredError) {
            throw new ApiError(404, "not_found", error.message, { jobId, status: error.status });
          }
          throw queueApiError(error);
        }
      },
    );

    routes.post(
      "/api/v1/dead-letters/:jobId/replay",
      {
        schema: {
          summary: "Replay a dead-lettered job",
          description:
            'Creates a new job of the same function with the same input (a fresh attempt series, `origin: {kind: "replay", replayOf}`); the entry stays and records the new id. An entry replayed before is a 409 unless `force` is true.',
          tags: ["dead-letters"],
          params,
          body: replayBody,
          response: { 201: replayResultSchema, ...ACTION_ERRORS },
        },
      },
      async (request, reply) => {
        const { jobId } = request.params;
        const force = request.body?.force === true;
        const ref = await callQueue(deps, () => deadLetters.replay(jobId, { force }));
        const snapshot = await callQueue(deps, () => ref.status());
        return reply.code(201).send({ replayOf: jobId, deadLettered: true, job: queuedJobState(snapshot) });
      },
    );

    routes.post(
      "/api/v1/dead-letters/purge",
      {
        schema: {
          summary: "Purge dead-lettered jobs",
          description:
            'Deletes the matching entries and their jobs (replays already made are separate jobs and stay). Give `function`, or `all: true` for every function. Without `confirm` nothing is deleted: the 400 reports how many entries match (`details.matching`); send that number as `confirm` (a different number is a 409: the set changed), or "yes".',
          tags: ["dead-letters"],
          body: purgeBody,
          response: { 200: deadLetterPurgeResponseSchema, ...ACTION_ERRORS },
        },
      },
      async (request) => {
        const body = request.body;
        if (body.function === undefined && body.all !== true) {
          throw badRequest("Give function (one function's entries) or \"all\": true (every function's).", {
            field: "function",
          });
        }
        if (body.function !== undefined && body.all === true) {
          throw badRequest('Give either function or "all": true, not both.', { field: "all" });
        }
        // One bound for the count and the purge: entries dying meanwhile are not part of it.
        const now = Date.now();
        const filter: DeadLetterFilter = {
          before: olderThanBound(body.olderThan, now) ?? now,
          ...(body.function === undefined ? {} : { function: body.function }),
          ...(body.reason === undefined ? {} : { reason: body.reason }),
        };
        const matching = await callQueue(deps, () => deadLetters.count(filter));
        if (body.confirm === undefined) {
          throw badRequest(
            `Purging needs confirmation: ${matching} entries match; send "confirm": ${matching} (or "yes") to delete them.`,
            { field: "confirm", matching },
          );
        }
        if (body.confirm !== "yes" && body.confirm !== matching) {
          throw conflict(
            `${matching} entries match now, not ${body.confirm}: nothing was deleted. Check them, then send "confirm": ${matching}.`,
            { field: "confirm", matching, confirm: body.confirm },
          );
        }
        const result = await callQueue(deps, () => deadLetters.purge(filter));
        return { matched: matching, purged: result.purged };
      },
    );
  };
}
