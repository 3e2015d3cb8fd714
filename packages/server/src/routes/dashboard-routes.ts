/** The overview page in one request (see reports/dashboard-summary.ts). */
import { DEFAULT_TIME_WINDOW, dashboardSummarySchema } from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { LIST_ERRORS } from "../http/error-responses.js";
import { timeWindowParamSchema } from "../http/query-params.js";
import { dashboardSummary } from "../reports/dashboard-summary.js";

/** The summary's query (REST and stream). */
export const dashboardQuery = {
  window: timeWindowParamSchema()
    .default(DEFAULT_TIME_WINDOW)
    .describe(
      "The window of `period` and of the failing-functions panel: 15m, 1h, 6h (minute buckets), 24h, 7d (hour buckets).",
    ),
};

export function dashboardRoutes(deps: ServerDependencies) {
  return (app: FastifyInstance): void => {
    app.withTypeProvider<ZodTypeProvider>().get(
      "/api/v1/dashboard/summary",
      {
        schema: {
          summary: "Overview: recent figures, workers, queue depth and the runbook panels",
          tags: ["dashboard"],
          querystring: z.object(dashboardQuery),
          response: { 200: dashboardSummarySchema, ...LIST_ERRORS },
        },
      },
      (request) => dashboardSummary(deps, request.query.window),
    );
  };
}
