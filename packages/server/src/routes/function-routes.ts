/**
 * Functions (tasks): the registry workers keep in Redis, with each function's last-24-hours
 * figures from the history. Pause and resume live in function-actions-routes.ts.
 */
import {
  type FunctionMetrics,
  type FunctionSummary,
  functionDetailSchema,
  functionListSchema,
} from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { notFound } from "../http/api-error.js";
import { ITEM_ERRORS, LIST_ERRORS } from "../http/error-responses.js";
import { isoTimeOrNull } from "../lib/iso-time.js";
import { decodeNameCursor, pageInMemory } from "../http/memory-pagination.js";
import { pageInfo, pageQuerySchema } from "../http/pagination.js";
import { toQueueDepth } from "../http/queue-dto.js";
import { functionNameSchema } from "../http/query-params.js";
import {
  type FunctionRecord,
  functionNames,
  isKnownFunction,
  readFunctionRecords,
} from "../registry/function-registry.js";
import { readQueueCounts } from "../registry/queue-depths.js";
import { functionMetrics } from "../store/function-metrics.js";
import { queueHistory } from "../store/queue-history.js";

function toSummary(record: FunctionRecord, metrics: FunctionMetrics): FunctionSummary {
  return {
    name: record.name,
    kind: record.kind,
    registered: record.registered,
    paused: record.paused,
    timeoutMs: record.timeoutMs,
    updatedAt: isoTimeOrNull(record.updatedAt),
    metrics,
  };
}

function metricsOf(all: Map<string, FunctionMetrics>, name: string): FunctionMetrics {
  const metrics = all.get(name);
  if (!metrics) throw new Error(`no metrics computed for ${name}`);
  return metrics;
}

export function functionRoutes(deps: ServerDependencies) {
  return (app: FastifyInstance): void => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.get(
      "/api/v1/functions",
      {
        schema: {
          summary: "Registered functions by name, with their last-24-hours figures",
          tags: ["functions"],
          querystring: pageQuerySchema,
          response: { 200: functionListSchema, ...LIST_ERRORS },
        },
      },
      async (request) => {
        const { limit } = request.query;
        const cursor = decodeNameCursor(request.query.cursor);
        const now = Date.now();
        const { page, records } = await deps.withRedis(async (redis) => {
          const names = await functionNames(redis, deps.keys);
          const page = pageInMemory(names, (name) => name, limit, cursor);
          return { page, records: await readFunctionRecords(redis, deps.namespace, deps.keys, page.items) };
        });
        const metrics = await deps.withDatabase((db) => functionMetrics(db, page.items, now));
        return {
          items: records.map((record) => toSummary(record, metricsOf(metrics, record.name))),
          page: pageInfo(request, limit, page),
        };
      },
    );

    routes.get(
      "/api/v1/functions/:name",
      {
        schema: {
          summary: "One function: its config, last-24-hours figures and queue depth",
          tags: ["functions"],
          params: z.object({ name: functionNameSchema() }),
          response: { 200: functionDetailSchema, ...ITEM_ERRORS },
        },
      },
      async (request) => {
        const { name } = request.params;
        const now = Date.now();
        const registry = await deps.withRedis(async (redis) => {
          if (!(await isKnownFunction(redis, deps.keys, name))) return undefined;
          const [[record], depths] = await Promise.all([
            readFunctionRecords(redis, deps.namespace, deps.keys, [name]),
            readQueueCounts(redis, deps.namespace, [name], now),
          ]);
          return record ? { record, counts: depths.get(name) } : undefined;
        });
        if (!registry) throw notFound("Function", name);
        const [metrics, history] = await deps.withDatabase((db) =>
          Promise.all([functionMetrics(db, [name], now), queueHistory(db, [name], now)]),
        );
        return {
          ...toSummary(registry.record, metricsOf(metrics, name)),
          config: registry.record.config,
          queue: toQueueDepth(name, registry.counts, history.get(name), now),
        };
      },
    );
  };
}
