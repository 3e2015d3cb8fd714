/** Workers, from the registry they keep in Redis: online while their heartbeat is fresh. */
import { workerListSchema, workerSchema } from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { notFound } from "../http/api-error.js";
import { ITEM_ERRORS, LIST_ERRORS } from "../http/error-responses.js";
import { decodeNameCursor, pageInMemory } from "../http/memory-pagination.js";
import { pageInfo, pageQuerySchema } from "../http/pagination.js";
import { workerIdSchema } from "../http/query-params.js";
import { toWorkerSummary } from "../http/worker-dto.js";
import {
  onlineSince,
  readWorker,
  readWorkers,
  tallyWorkers,
  workerIndex,
} from "../registry/worker-registry.js";

export function workerRoutes(deps: ServerDependencies) {
  return (app: FastifyInstance): void => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.get(
      "/api/v1/workers",
      {
        schema: {
          summary: "Workers by id, with their heartbeat figures",
          tags: ["workers"],
          querystring: pageQuerySchema,
          response: { 200: workerListSchema, ...LIST_ERRORS },
        },
      },
      async (request) => {
        const { limit } = request.query;
        const cursor = decodeNameCursor(request.query.cursor);
        const since = onlineSince(Date.now(), deps.config.heartbeatInterval);
        const { index, page, records } = await deps.withRedis(async (redis) => {
          const index = await workerIndex(redis, deps.keys);
          const page = pageInMemory(index, (entry) => entry.id, limit, cursor);
          return { index, page, records: await readWorkers(redis, deps.keys, page.items) };
        });
        return {
          items: records.map((record) => toWorkerSummary(record, since)),
          ...tallyWorkers(index, since),
          page: pageInfo(request, limit, page),
        };
      },
    );

    routes.get(
      "/api/v1/workers/:id",
      {
        schema: {
          summary: "One worker",
          tags: ["workers"],
          params: z.object({ id: workerIdSchema() }),
          response: { 200: workerSchema, ...ITEM_ERRORS },
        },
      },
      async (request) => {
        const { id } = request.params;
        const record = await deps.withRedis((redis) => readWorker(redis, deps.keys, id));
        if (!record) throw notFound("Worker", id);
        return toWorkerSummary(record, onlineSince(Date.now(), deps.config.heartbeatInterval));
      },
    );
  };
}
