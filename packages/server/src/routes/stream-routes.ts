/**
 * The live streams (Server-Sent Events) under /api/v1: job events (all, by function, one job,
 * one tree), workers, a job's artifacts, and the dashboard and trends snapshots. Each route only
 * validates its parameters and names its source; StreamHub.serve does the rest, the same way for
 * every stream.
 */
import { JOB_EVENT_TYPES, type JobEventType, apiErrorEnvelopeSchema } from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { ApiError } from "../http/api-error.js";
import {
  functionNameSchema,
  jobIdSchema,
  listSchema,
  oneOfSchema,
  timeWindowParamSchema,
  trendHoursSchema,
} from "../http/query-params.js";
import { MAX_TREND_HOURS } from "../reports/job-trends.js";
import { dashboardQuery } from "./dashboard-routes.js";
import { MESSAGE_ID_PATTERN } from "../sse/stream-ids.js";
import type { SnapshotStreamName, StreamHub } from "../sse/stream-hub.js";

const described = (description: string) => apiErrorEnvelopeSchema.describe(description);

/** Every stream answers these before it starts; once it has started, problems are events. */
export const STREAM_ERRORS = {
  400: described("A parameter (or Last-Event-ID) is invalid: the message names it and what is allowed."),
  401: described(
    "The credential is missing or wrong; EventSource can pass `?ticket=` (POST /api/v1/stream-tickets) or `?token=`.",
  ),
  429: described("This client holds its maximum of live connections (`too_many_connections`)."),
  503: described(
    "The server holds its maximum of live connections (`too_many_connections`), or Redis is down (`dependency_unavailable`).",
  ),
};

export const STREAM_DESCRIPTION =
  "Server-Sent Events (text/event-stream). Every message has an `id`; reconnect with `Last-Event-ID` " +
  "(header, or `?lastEventId=`) to resume. See docs/server.md, 'Live streams (SSE)'.";

const common = {
  lastEventId: z
    .string()
    .regex(MESSAGE_ID_PATTERN, { error: "a message id looks like 1732800000000-0" })
    .optional()
    .describe("Resume after this message id (the Last-Event-ID header wins when both are sent)."),
  ticket: z
    .string()
    .optional()
    .describe("A ticket from POST /api/v1/stream-tickets, for EventSource (which cannot send headers)."),
  token: z
    .string()
    .optional()
    .describe("The bearer token itself, for EventSource; prefer `ticket`, which expires within a minute."),
};

const EVENT_TYPES = JOB_EVENT_TYPES as readonly JobEventType[] as readonly [JobEventType, ...JobEventType[]];

const jobTypes = listSchema(oneOfSchema("job event type", EVENT_TYPES))
  .optional()
  .describe("Only these event types (repeat or comma-separate).");

const jobStreamQuery = z.object({
  function: listSchema(functionNameSchema())
    .optional()
    .describe("Only jobs of these functions (repeat or comma-separate)."),
  jobId: jobIdSchema().optional().describe("Only this job."),
  rootId: jobIdSchema()
    .optional()
    .describe("Only this tree: jobs whose root is this job (the root included)."),
  type: jobTypes,
  ...common,
});

function setOf<T>(values: readonly T[] | undefined): ReadonlySet<T> | undefined {
  return values === undefined ? undefined : new Set(values);
}

export function streamRoutes(hub: StreamHub) {
  return (app: FastifyInstance): void => {
    // Every route here is a stream: it takes its credential from the query too (http/auth.ts).
    app.addHook("onRoute", (route) => {
      route.config = { ...route.config, queryCredentials: true };
    });
    const routes = app.withTypeProvider<ZodTypeProvider>();
    // Open streams would hold the server's close until their clients leave.
    app.addHook("preClose", (done) => {
      hub.closeConnections();
      done();
    });

    const snapshotStream = (name: SnapshotStreamName, params: Record<string, unknown>) => {
      const source = hub.snapshot(name, params);
      if (source === undefined) {
        throw new ApiError(
          503,
          "dependency_unavailable",
          `The ${name} stream has no data source on this server.`,
          {
            dependency: name,
          },
        );
      }
      return source;
    };

    routes.get(
      "/api/v1/jobs/stream",
      {
        schema: {
          summary: "Live job events: all, or filtered by function, job, tree and type",
          description: STREAM_DESCRIPTION,
          tags: ["streams"],
          produces: ["text/event-stream"],
          querystring: jobStreamQuery,
          response: STREAM_ERRORS,
        },
      },
      (request, reply) => {
        const query = request.query;
        return hub.serve(
          request,
          reply,
          hub.jobEvents({
            functions: setOf(query.function),
            jobId: query.jobId,
            rootId: query.rootId,
            types: setOf(query.type),
          }),
        );
      },
    );

    routes.get(
      "/api/v1/jobs/:id/stream",
      {
        schema: {
          summary: "Live events of one job",
          description: STREAM_DESCRIPTION,
          tags: ["streams"],
          produces: ["text/event-stream"],
          params: z.object({ id: jobIdSchema() }),
          querystring: z.object({ type: jobTypes, ...common }),
          response: STREAM_ERRORS,
        },
      },
      (request, reply) =>
        hub.serve(
          request,
          reply,
          hub.jobEvents({ jobId: request.params.id, types: setOf(request.query.type) }),
        ),
    );

    routes.get(
      "/api/v1/jobs/:id/artifacts/stream",
      {
        schema: {
          summary: "Artifacts of one job as they are created and deleted",
          description: STREAM_DESCRIPTION,
          tags: ["streams"],
          produces: ["text/event-stream"],
          params: z.object({ id: jobIdSchema() }),
          querystring: z.object(common),
          response: STREAM_ERRORS,
        },
      },
      (request, reply) => hub.serve(request, reply, hub.artifacts(request.params.id)),
    );

    routes.get(
      "/api/v1/workers/stream",
      {
        schema: {
          summary: "Workers: a registry snapshot at connect and on change, and every worker event",
          description: STREAM_DESCRIPTION,
          tags: ["streams"],
          produces: ["text/event-stream"],
          querystring: z.object(common),
          response: STREAM_ERRORS,
        },
      },
      (request, reply) => hub.serve(request, reply, hub.workers()),
    );

    routes.get(
      "/api/v1/dashboard/stream",
      {
        schema: {
          summary: "The dashboard summary, recomputed at most once per interval for all subscribers",
          description: STREAM_DESCRIPTION,
          tags: ["streams"],
          produces: ["text/event-stream"],
          querystring: z.object({ ...dashboardQuery, ...common }),
          response: STREAM_ERRORS,
        },
      },
      (request, reply) =>
        hub.serve(request, reply, snapshotStream("dashboard", { window: request.query.window })),
    );

    routes.get(
      "/api/v1/jobs/trends/stream",
      {
        schema: {
          summary: "Job trends, recomputed at most once per interval per set of parameters",
          description: STREAM_DESCRIPTION,
          tags: ["streams"],
          produces: ["text/event-stream"],
          querystring: z.object({
            // The rules of GET /api/v1/jobs/trends (a live window always ends now).
            hours: trendHoursSchema().describe(
              `Hourly buckets, 1-${MAX_TREND_HOURS}, ending with the current hour.`,
            ),
            window: timeWindowParamSchema()
              .optional()
              .describe(
                "A named window instead of `hours` (15m, 1h, 6h in minute buckets; 24h, 7d in hours).",
              ),
            function: listSchema(functionNameSchema()).optional().describe("Only these functions."),
            ...common,
          }),
          response: STREAM_ERRORS,
        },
      },
      (request, reply) => {
        const { hours, window, function: functions } = request.query;
        return hub.serve(
          request,
          reply,
          snapshotStream("jobTrends", {
            hours,
            ...(window === undefined ? {} : { window }),
            ...(functions === undefined ? {} : { functions }),
          }),
        );
      },
    );
  };
}
