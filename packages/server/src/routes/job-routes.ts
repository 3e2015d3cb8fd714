/**
 * The read side of jobs: the filtered list, one job's detail, its tree timeline, its events and
 * its logs. History only (the database): Redis being down does not affect these.
 */
import {
  JOB_EVENT_TYPES,
  type JobEventType,
  jobDetailSchema,
  jobEventListSchema,
  jobListSchema,
  jobLogListSchema,
  jobTimelineSchema,
} from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { notFound } from "../http/api-error.js";
import { ITEM_ERRORS, LIST_ERRORS } from "../http/error-responses.js";
import { dependsOnOf, toJobDetail, toJobEvent, toJobLink, toJobLog, toJobSummary } from "../http/job-dto.js";
import { jobFilterFields, jobListFilterOf } from "../http/job-filter-params.js";
import { decodeTypedCursor, pageInfo, pageQuerySchema } from "../http/pagination.js";
import { type Cursor } from "../store/keyset.js";
import { jobIdSchema, listSchema, oneOfSchema } from "../http/query-params.js";
import { listJobEvents } from "../store/job-event-queries.js";
import {
  countChildren,
  findJob,
  findJobLinks,
  findJobRoot,
  listJobs,
  listTree,
} from "../store/job-queries.js";
import { SEARCH_SCAN_ROWS, searchJobs } from "../store/job-search.js";

/** Longest free-text search: it is matched against every candidate row, so it stays short. */
export const MAX_SEARCH_LENGTH = 200;

const KEYSET_TYPES = ["number", "string"] as const;

function cursorOf(value: string | undefined): Cursor | undefined {
  return value === undefined ? undefined : decodeTypedCursor(value, KEYSET_TYPES);
}

const jobEventTypes = JOB_EVENT_TYPES as [JobEventType, ...JobEventType[]];

const jobListQuery = pageQuerySchema.extend({
  ...jobFilterFields,
  q: z
    .string()
    .trim()
    .min(1, { error: "give at least one character to search for" })
    .max(MAX_SEARCH_LENGTH, { error: `search text is limited to ${MAX_SEARCH_LENGTH} characters` })
    .optional()
    .describe(
      `A job id (exact or prefix, found at any age, in id order), else text in the error message, case-insensitive: a text search examines at most ${SEARCH_SCAN_ROWS} jobs per request, so a page may be short and still have a next link.`,
    ),
});

const jobParams = z.object({ id: jobIdSchema() });

const eventsQuery = pageQuerySchema.extend({
  type: listSchema(oneOfSchema("job event type", jobEventTypes))
    .optional()
    .describe(`One or more of ${JOB_EVENT_TYPES.join(", ")}.`),
});

export function jobRoutes(deps: ServerDependencies) {
  return (app: FastifyInstance): void => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.get(
      "/api/v1/jobs",
      {
        schema: {
          summary: "List jobs, newest first, with filters and keyset pages",
          tags: ["jobs"],
          querystring: jobListQuery,
          response: { 200: jobListSchema, ...LIST_ERRORS },
        },
      },
      async (request) => {
        const { limit, cursor, q: text, ...fields } = request.query;
        const filter = { ...jobListFilterOf(fields), q: text };
        const pageRequest = { limit, cursor: cursorOf(cursor) };
        const { q } = filter;
        const page = await deps.withDatabase((db) =>
          q === undefined ? listJobs(db, filter, pageRequest) : searchJobs(db, { ...filter, q }, pageRequest),
        );
        return { items: page.items.map(toJobSummary), page: pageInfo(request, limit, page) };
      },
    );

    routes.get(
      "/api/v1/jobs/:id",
      {
        schema: {
          summary: "One job: input, result or error, tags, metadata, checkpoint, progress, DAG links",
          tags: ["jobs"],
          params: jobParams,
          response: { 200: jobDetailSchema, ...ITEM_ERRORS },
        },
      },
      async (request) => {
        const { id } = request.params;
        const detail = await deps.withDatabase(async (db) => {
          const row = await findJob(db, id);
          if (!row) return undefined;
          const [dagParents, childrenCount] = await Promise.all([
            findJobLinks(db, dependsOnOf(row)),
            countChildren(db, id),
          ]);
          return toJobDetail(row, { dagParents, childrenCount });
        });
        if (!detail) throw notFound("Job", id);
        return detail;
      },
    );

    routes.get(
      "/api/v1/jobs/:id/timeline",
      {
        schema: {
          summary: "The job's whole tree (every job with its root), oldest first, in keyset pages",
          tags: ["jobs"],
          params: jobParams,
          querystring: pageQuerySchema,
          response: { 200: jobTimelineSchema, ...ITEM_ERRORS },
        },
      },
      async (request) => {
        const { id } = request.params;
        const { limit, cursor } = request.query;
        const decoded = cursorOf(cursor);
        const result = await deps.withDatabase(async (db) => {
          const rootId = await findJobRoot(db, id);
          if (rootId === undefined) return undefined;
          const page = await listTree(db, rootId, { limit, cursor: decoded });
          const parentIds = [...new Set(page.items.flatMap(dependsOnOf))];
          const parents = await findJobLinks(db, parentIds);
          return { rootId, page, external: parents.filter((row) => row.root_id !== rootId) };
        });
        if (!result) throw notFound("Job", id);
        return {
          rootId: result.rootId,
          items: result.page.items.map(toJobSummary),
          externalParents: result.external.map(toJobLink),
          page: pageInfo(request, limit, result.page),
        };
      },
    );

    routes.get(
      "/api/v1/jobs/:id/events",
      {
        schema: {
          summary: "The job's events, oldest first, optionally of some types",
          tags: ["jobs"],
          params: jobParams,
          querystring: eventsQuery,
          response: { 200: jobEventListSchema, ...ITEM_ERRORS },
        },
      },
      async (request) => {
        const { id } = request.params;
        const { limit, cursor, type } = request.query;
        const decoded = cursorOf(cursor);
        const page = await deps.withDatabase(async (db) =>
          (await findJobRoot(db, id)) !== undefined
            ? listJobEvents(db, id, type, { limit, cursor: decoded })
            : undefined,
        );
        if (!page) throw notFound("Job", id);
        return { items: page.items.map(toJobEvent), page: pageInfo(request, limit, page) };
      },
    );

    routes.get(
      "/api/v1/jobs/:id/logs",
      {
        schema: {
          summary: "The job's log lines, oldest first",
          tags: ["jobs"],
          params: jobParams,
          querystring: pageQuerySchema,
          response: { 200: jobLogListSchema, ...ITEM_ERRORS },
        },
      },
      async (request) => {
        const { id } = request.params;
        const { limit, cursor } = request.query;
        const decoded = cursorOf(cursor);
        const page = await deps.withDatabase(async (db) =>
          (await findJobRoot(db, id)) !== undefined
            ? listJobEvents(db, id, ["log"], { limit, cursor: decoded })
            : undefined,
        );
        if (!page) throw notFound("Job", id);
        return { items: page.items.map(toJobLog), page: pageInfo(request, limit, page) };
      },
    );
  };
}
