/**
 * HTTP APIs tracked by `upnext/http` (docs/http-apis.md): the APIs with their instances and
 * routes, one route's detail and trends, the recent slow and failed requests, and their live
 * stream. Instances come from the Redis registry, figures from the history database.
 */
import {
  API_REQUEST_REASONS,
  MAX_ROUTE_LENGTH,
  apiListSchema,
  apiNameSchema,
  apiRequestListSchema,
  apiRouteDetailSchema,
} from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { LIST_ERRORS } from "../http/error-responses.js";
import { oneOfSchema, trendHoursSchema } from "../http/query-params.js";
import { readApiInstances } from "../registry/api-registry.js";
import { onlineSince } from "../registry/worker-registry.js";
import { HOUR_MS, apiRouteDetail, apiSummaries, toApiRequest } from "../reports/api-summaries.js";
import { recentRequests } from "../store/api-queries.js";
import type { StreamHub } from "../sse/stream-hub.js";
import { STREAM_DESCRIPTION, STREAM_ERRORS } from "./stream-routes.js";

const MAX_REQUESTS = 200;

const apiName = apiNameSchema.describe("The API's name (ApiTracker's `name`).");
const method = z
  .string()
  .regex(/^[A-Za-z]{1,16}$/, { error: "a method is an HTTP verb such as GET or POST" })
  .transform((value) => value.toUpperCase());
const route = z
  .string()
  .min(1, { error: "a route template such as /users/:id" })
  .max(MAX_ROUTE_LENGTH, { error: `a route template is at most ${MAX_ROUTE_LENGTH} characters` });
const reason = oneOfSchema("request sample reason", API_REQUEST_REASONS);

const requestFilter = z.object({
  api: apiName.optional(),
  method: method.optional(),
  route: route.optional().describe("A route template, e.g. /users/:id."),
  reason: reason.optional().describe("Only slow or only failed requests."),
});

export function apiRoutes(deps: ServerDependencies, hub: StreamHub | undefined) {
  return (app: FastifyInstance): void => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.get(
      "/api/v1/apis",
      {
        schema: {
          summary: "HTTP APIs: their instances and routes with figures over the last hours",
          tags: ["apis"],
          querystring: z.object({
            hours: trendHoursSchema().describe("The window of the figures, in hours (default 24)."),
          }),
          response: { 200: apiListSchema, ...LIST_ERRORS },
        },
      },
      async (request) => {
        const now = Date.now();
        const instances = await deps.withRedis((redis) => readApiInstances(redis, deps.keys));
        const items = await deps.withDatabase((db) =>
          apiSummaries(db, instances, {
            from: now - request.query.hours * HOUR_MS,
            to: now + 1,
            onlineSince: onlineSince(now, deps.config.heartbeatInterval),
          }),
        );
        return { items };
      },
    );

    routes.get(
      "/api/v1/apis/:name/route",
      {
        schema: {
          summary: "One route of an API: figures, per-minute trend of the last hour, hourly trend",
          tags: ["apis"],
          params: z.object({ name: apiName }),
          querystring: z.object({
            method,
            route: route.describe("The route template, e.g. /users/:id."),
            hours: trendHoursSchema().describe("Hours of the hourly trend (default 24)."),
          }),
          response: { 200: apiRouteDetailSchema, ...LIST_ERRORS },
        },
      },
      (request) => {
        const { method: verb, route: template, hours } = request.query;
        return deps.withDatabase((db) =>
          apiRouteDetail(db, { api: request.params.name, method: verb, route: template }, hours, Date.now()),
        );
      },
    );

    routes.get(
      "/api/v1/apis/requests",
      {
        schema: {
          summary: "Recent slow and failed requests (sampled), newest first",
          tags: ["apis"],
          querystring: requestFilter.extend({
            limit: z.coerce.number().int().min(1).max(MAX_REQUESTS).default(50),
          }),
          response: { 200: apiRequestListSchema, ...LIST_ERRORS },
        },
      },
      async (request) => {
        const rows = await deps.withDatabase((db) => recentRequests(db, request.query));
        return { items: rows.map(toApiRequest) };
      },
    );

    if (hub === undefined) return;
    routes.get(
      "/api/v1/apis/stream",
      {
        schema: {
          summary: "Live slow and failed requests, as they are sampled",
          description: `${STREAM_DESCRIPTION} This stream is live only: a reconnect continues with what arrives next.`,
          tags: ["streams", "apis"],
          produces: ["text/event-stream"],
          querystring: requestFilter.extend({
            token: z.string().optional(),
            lastEventId: z.string().optional(),
          }),
          response: STREAM_ERRORS,
        },
      },
      (request, reply) => {
        const { api, method: verb, route: template, reason: why } = request.query;
        return hub.serve(
          request,
          reply,
          hub.apiRequests({
            ...(api === undefined ? {} : { api }),
            ...(verb === undefined ? {} : { method: verb }),
            ...(template === undefined ? {} : { route: template }),
            ...(why === undefined ? {} : { reason: why }),
          }),
        );
      },
    );
  };
}
