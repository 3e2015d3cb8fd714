/**
 * `GET /metrics`: the server's Prometheus metrics (observability/server-metrics.ts), outside
 * /api/v1 like the health probes, so a scraper needs no token.
 */
import type { FastifyInstance } from "fastify";
import type { ServerMetrics } from "../observability/server-metrics.js";

export function metricsRoutes(metrics: ServerMetrics) {
  return (app: FastifyInstance): void => {
    app.get(
      "/metrics",
      {
        schema: {
          summary: "Prometheus metrics of this server process (text exposition format)",
          tags: ["health"],
          produces: ["text/plain"],
        },
      },
      async (_request, reply) => {
        const text = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(text);
      },
    );
  };
}
