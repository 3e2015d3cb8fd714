/** The overview page in one request (see reports/dashboard-summary.ts). */
import { dashboardSummarySchema } from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { LIST_ERRORS } from "../http/error-responses.js";
import { dashboardSummary } from "../reports/dashboard-summary.js";

export function dashboardRoutes(deps: ServerDependencies) {
  return (app: FastifyInstance): void => {
    app.withTypeProvider<ZodTypeProvider>().get(
      "/api/v1/dashboard/summary",
      {
        schema: {
          summary: "Overview: recent figures, workers, queue depth and the runbook panels",
          tags: ["dashboard"],
          response: { 200: dashboardSummarySchema, ...LIST_ERRORS },
        },
      },
      () => dashboardSummary(deps),
    );
  };
}
