/** Workers, from the registry they keep in Redis: online while their heartbeat is fresh. */
import { type WorkerSummary, workerListSchema, workerSchema } from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ServerDependencies } from "../dependencies/server-dependencies.js";
import { notFound } from "../http/api-error.js";
import { ITEM_ERRORS, LIST_ERRORS } from "../http/error-responses.js";
import { isoTime } from "../http/iso-time.js";
import { decodeNameCursor, pageInMemory } from "../http/memory-pagination.js";
import { pageInfo, pageQuerySchema } from "../http/pagination.js";
import { workerIdSchema } from "../http/query-params.js";
import {
  HEARTBEAT_MISSES_OFFLINE,
  type WorkerRecord,
  readWorker,
  readWorkers,
  workerIndex,
} from "../registry/worker-registry.js";

function toWorker(record: WorkerRecord, onlineSince: number): WorkerSummary {
  return {
    id: record.id,
    name: record.name,
    host: record.host,
    pid: record.pid,
    functions: record.functions,
    concurrency: record.concurrency,
    active: record.active,
    held: record.held,
    completed: record.completed,
    failed: record.failed,
    startedAt: isoTime(record.startedAt),
    lastSeenAt: isoTime(record.lastSeen),
    online: record.lastSeen >= onlineSince,
  };
}

export function workerRoutes(deps: ServerDependencies) {
  /** Heartbeats at or after this time count as online. */
  const onlineSince = (now: number): number => now - HEARTBEAT_MISSES_OFFLINE * deps.config.heartbeatInterval;

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
        const since = onlineSince(Date.now());
        const { index, page, records } = await deps.withRedis(async (redis) => {
          const index = await workerIndex(redis, deps.keys);
          const page = pageInMemory(index, (entry) => entry.id, limit, cursor);
          return { index, page, records: await readWorkers(redis, deps.keys, page.items) };
        });
        return {
          items: records.map((record) => toWorker(record, since)),
          total: index.length,
          online: index.filter((entry) => entry.lastSeen >= since).length,
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
        return toWorker(record, onlineSince(Date.now()));
      },
    );
  };
}
