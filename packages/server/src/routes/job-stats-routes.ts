/**
 * Job statistics over a window and hourly trends, from the rollups (never a scan of jobs). The
 * figures (success rate, averages) are computed by @upnext/core's `outcomeFigures`, the one
 * definition every view shares.
 */
import {
  type TimeWindowName,
  jobStatsSchema,
  jobTrendsSchema,
  outcomeFigures,
  windowBuckets,
} from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { badRequest } from "../http/api-error.js";
import { LIST_ERRORS } from "../http/error-responses.js";
import { isoTime } from "../lib/iso-time.js";
import {
  functionNameSchema,
  listSchema,
  oneOfSchema,
  timeSchema,
  timeWindowParamSchema,
  trendHoursSchema,
} from "../http/query-params.js";
import { MAX_TREND_HOURS, jobTrends } from "../reports/job-trends.js";
import { ROLLUP_TABLES } from "../store/schema.js";
import {
  HOUR_MS,
  hourStart,
  rollupTableOf,
  rollupTotals,
  rollupTotalsByFunction,
} from "../store/stats-queries.js";

export const DEFAULT_STATS_WINDOW_MS = 24 * HOUR_MS;
/** Longest stats window: a bound on the rollup rows one request reads. */
export const MAX_STATS_WINDOW_MS = 31 * 24 * HOUR_MS;

const statsQuery = z.object({
  from: timeSchema()
    .optional()
    .describe("Window start (rounded down to the hour); default 24 hours before `to`."),
  to: timeSchema().optional().describe("Window end (exclusive); default now."),
  function: listSchema(functionNameSchema()).optional().describe("Only these functions."),
  by: oneOfSchema("grouping", ["function"]).optional().describe("`function`: add the figures per function."),
  window: timeWindowParamSchema()
    .optional()
    .describe(
      "A named window ending now instead of `from`/`to`: 15m, 1h, 6h from the minute rollups, 24h, 7d from the hourly ones.",
    ),
});

/** The window and rollup table of a stats query: a named window, or `from`/`to` over whole hours. */
function statsWindow(query: {
  from?: number | undefined;
  to?: number | undefined;
  window?: TimeWindowName | undefined;
}) {
  if (query.window !== undefined) {
    if (query.from !== undefined || query.to !== undefined)
      throw badRequest("Give either `window` or `from`/`to`, not both.", { window: query.window });
    const now = Date.now();
    const { from, bucketMs } = windowBuckets(query.window, now);
    return { from, to: now, table: rollupTableOf(bucketMs) };
  }
  const to = query.to ?? Date.now();
  const from = hourStart(query.from ?? to - DEFAULT_STATS_WINDOW_MS);
  if (from >= to)
    throw badRequest("`from` must be earlier than `to`.", { from: isoTime(from), to: isoTime(to) });
  if (to - from > MAX_STATS_WINDOW_MS) {
    throw badRequest(`The stats window is limited to ${MAX_STATS_WINDOW_MS / (24 * HOUR_MS)} days.`, {
      from: isoTime(from),
      to: isoTime(to),
    });
  }
  return { from, to, table: ROLLUP_TABLES.hour };
}

const trendsQuery = z.object({
  hours: trendHoursSchema().describe(
    `Hourly buckets to return, 1-${MAX_TREND_HOURS}, ending with the hour of \`to\`.`,
  ),
  to: timeSchema().optional().describe("End of the last bucket (exclusive); default now."),
  window: timeWindowParamSchema()
    .optional()
    .describe("A named window instead of `hours`: 15m, 1h, 6h in minute buckets; 24h, 7d in hour buckets."),
  function: listSchema(functionNameSchema()).optional().describe("Only these functions."),
});

export function jobStatsRoutes(deps: ServerDependencies) {
  return (app: FastifyInstance): void => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.get(
      "/api/v1/jobs/stats",
      {
        schema: {
          summary: "Outcome counts, success rate and averages over a window, from the rollups",
          tags: ["stats"],
          querystring: statsQuery,
          response: { 200: jobStatsSchema, ...LIST_ERRORS },
        },
      },
      async (request) => {
        const { function: functions, by } = request.query;
        const { from, to, table } = statsWindow(request.query);
        const window = { from, to, functions, table };
        const [totals, perFunction] = await deps.withDatabase((db) =>
          Promise.all([
            rollupTotals(db, window),
            by === "function" ? rollupTotalsByFunction(db, window) : undefined,
          ]),
        );
        const byFunction = perFunction
          ? [...perFunction]
              .map(([fn, total]) => ({
                function: fn,
                ...outcomeFigures(total.counts, total.durationMsTotal, total.queueWaitMsTotal),
              }))
              .sort(
                (a, b) =>
                  b.counts.submitted + b.runs - (a.counts.submitted + a.runs) ||
                  (a.function < b.function ? -1 : 1),
              )
          : null;
        return {
          window: { from: isoTime(from), to: isoTime(to) },
          functions: functions ?? null,
          ...outcomeFigures(totals.counts, totals.durationMsTotal, totals.queueWaitMsTotal),
          byFunction,
        };
      },
    );

    routes.get(
      "/api/v1/jobs/trends",
      {
        schema: {
          summary: "Outcome counts per UTC hour or minute, zero-filled, from the rollups (at most 7 days)",
          tags: ["stats"],
          querystring: trendsQuery,
          response: { 200: jobTrendsSchema, ...LIST_ERRORS },
        },
      },
      async (request) => {
        const { hours, window, to, function: functions } = request.query;
        return jobTrends(deps, { hours, window, to, functions });
      },
    );
  };
}
