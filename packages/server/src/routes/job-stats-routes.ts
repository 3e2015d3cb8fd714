/**
 * Job statistics over a window and hourly trends, from the rollups (never a scan of jobs). The
 * figures (success rate, averages) are computed by @upnext/core's `outcomeFigures`, the one
 * definition every view shares.
 */
import { jobStatsSchema, jobTrendsSchema, outcomeFigures } from "@upnext/core";
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
  trendHoursSchema,
} from "../http/query-params.js";
import { MAX_TREND_HOURS, jobTrends } from "../reports/job-trends.js";
import { HOUR_MS, hourStart, rollupTotals, rollupTotalsByFunction } from "../store/stats-queries.js";

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
});

const trendsQuery = z.object({
  hours: trendHoursSchema().describe(
    `Hourly buckets to return, 1-${MAX_TREND_HOURS}, ending with the hour of \`to\`.`,
  ),
  to: timeSchema().optional().describe("End of the last bucket's hour (exclusive); default now."),
  function: listSchema(functionNameSchema()).optional().describe("Only these functions."),
});

export function jobStatsRoutes(deps: ServerDependencies) {
  return (app: FastifyInstance): void => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.get(
      "/api/v1/jobs/stats",
      {
        schema: {
          summary: "Outcome counts, success rate and averages over a window, from the hourly rollups",
          tags: ["stats"],
          querystring: statsQuery,
          response: { 200: jobStatsSchema, ...LIST_ERRORS },
        },
      },
      async (request) => {
        const { function: functions, by } = request.query;
        const to = request.query.to ?? Date.now();
        const from = hourStart(request.query.from ?? to - DEFAULT_STATS_WINDOW_MS);
        if (from >= to)
          throw badRequest("`from` must be earlier than `to`.", { from: isoTime(from), to: isoTime(to) });
        if (to - from > MAX_STATS_WINDOW_MS) {
          throw badRequest(`The stats window is limited to ${MAX_STATS_WINDOW_MS / (24 * HOUR_MS)} days.`, {
            from: isoTime(from),
            to: isoTime(to),
          });
        }
        const window = { from, to, functions };
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
          summary: "Outcome counts per UTC hour, zero-filled, from the hourly rollups (at most 7 days)",
          tags: ["stats"],
          querystring: trendsQuery,
          response: { 200: jobTrendsSchema, ...LIST_ERRORS },
        },
      },
      async (request) => {
        const { hours, to, function: functions } = request.query;
        return jobTrends(deps, { hours, to, functions });
      },
    );
  };
}
