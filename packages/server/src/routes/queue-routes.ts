/**
 * Queue depth per function: the counts from Redis (one pipeline over every function, no SCAN)
 * and, for the page's functions, the oldest queued job and mean queue wait from the history.
 */
import { queueListSchema } from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { LIST_ERRORS } from "../http/error-responses.js";
import { decodeNameCursor, pageInMemory } from "../http/memory-pagination.js";
import { pageInfo, pageQuerySchema } from "../http/pagination.js";
import { toQueueDepth } from "../http/queue-dto.js";
import { functionNames } from "../registry/function-registry.js";
import { readQueueCounts, sumQueueCounts } from "../registry/queue-depths.js";
import { queueHistory } from "../store/queue-history.js";

export function queueRoutes(deps: ServerDependencies) {
  return (app: FastifyInstance): void => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.get(
      "/api/v1/queues",
      {
        schema: {
          summary: "Queue depth and wait per function, with totals over every function",
          tags: ["queues"],
          querystring: pageQuerySchema,
          response: { 200: queueListSchema, ...LIST_ERRORS },
        },
      },
      async (request) => {
        const { limit } = request.query;
        const cursor = decodeNameCursor(request.query.cursor);
        const now = Date.now();
        const { names, depths } = await deps.withRedis(async (redis) => {
          const names = await functionNames(redis, deps.keys);
          return { names, depths: await readQueueCounts(redis, deps.namespace, names, now) };
        });
        const page = pageInMemory(names, (name) => name, limit, cursor);
        const history = await deps.withDatabase((db) => queueHistory(db, page.items, now));
        return {
          items: page.items.map((name) => toQueueDepth(name, depths.get(name), history.get(name), now)),
          totals: sumQueueCounts(depths.values()),
          page: pageInfo(request, limit, page),
        };
      },
    );
  };
}
