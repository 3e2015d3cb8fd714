/**
 * The app factory: a Fastify instance wired to the connections it is given. No globals, so tests
 * build as many apps as they like and the server process owns its lifecycle (server.ts).
 */
import fastifyCors from "@fastify/cors";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Logger } from "pino";
import type { ArtifactStorage } from "./artifacts/artifact-storage.js";
import { createArtifactStorage } from "./artifacts/storage-from-config.js";
import { openQueueAdmin } from "./connections/queue-admin.js";
import type { ServerDependencies } from "./connections/server-dependencies.js";
import { ApiError, MAX_PATH_PARAM_LENGTH, answerClientError, sendError } from "./http/api-error.js";
import { API_PREFIX, apiCredentials, authenticate } from "./http/auth.js";
import { registerRateLimit } from "./http/rate-limit.js";
import { REQUEST_ID_HEADER, requestIdOf } from "./http/request-id.js";
import { createServerLogger } from "./http/server-logger.js";
import { apiRoutes } from "./routes/api-routes.js";
import { artifactRoutes } from "./routes/artifact-routes.js";
import { dashboardStaticRoutes } from "./routes/dashboard-static-routes.js";
import { bulkActionRoutes } from "./routes/bulk-actions-routes.js";
import { deadLetterRoutes } from "./routes/dead-letters-routes.js";
import { functionActionRoutes } from "./routes/function-actions-routes.js";
import { healthRoutes } from "./routes/health-routes.js";
import { metricsRoutes } from "./routes/metrics-routes.js";
import { type ServerMetrics, createServerMetrics } from "./observability/server-metrics.js";
import { dashboardRoutes } from "./routes/dashboard-routes.js";
import { functionRoutes } from "./routes/function-routes.js";
import { jobRoutes } from "./routes/job-routes.js";
import { jobStatsRoutes } from "./routes/job-stats-routes.js";
import { queueRoutes } from "./routes/queue-routes.js";
import { workerRoutes } from "./routes/worker-routes.js";
import { jobActionRoutes } from "./routes/job-actions-routes.js";
import { scheduleRoutes } from "./routes/schedules-routes.js";
import { streamRoutes } from "./routes/stream-routes.js";
import { streamTicketRoutes } from "./routes/stream-ticket-routes.js";
import type { StreamHub } from "./sse/stream-hub.js";

export const SERVER_VERSION = "0.1.0";

export interface AppOptions {
  readonly deps: ServerDependencies;
  /** A logger to use instead of one built from the config (tests pass a silent one). */
  readonly logger?: Logger;
  /** The registry GET /metrics serves; pass the one ingest and the other services report to. */
  readonly metrics?: ServerMetrics;
  /** The live streams' hub (createStreamHub); its owner starts and stops it. Without one, no /stream routes. */
  readonly hub?: StreamHub;
  /** Where artifact contents go (default: a local directory, UPNEXT_ARTIFACTS_DIR). */
  readonly artifactStorage?: ArtifactStorage;
  /** The built dashboard served at `/` (default: the dashboard/ folder of this package). */
  readonly dashboardRoot?: string;
}

/** Trust the last `hops` proxies (the same rule as Fastify's numeric `trustProxy`). */
function trustedHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { deps } = options;
  const { config } = deps;
  // One logger for the app and the queue-admin connection, so both write lines of one format.
  const logger = options.logger ?? createServerLogger(config.logLevel, config.logFormat);
  const credentials = apiCredentials(config);
  const app = Fastify({
    loggerInstance: logger,
    // Behind a reverse proxy, request.ip is the client's address from X-Forwarded-For (only
    // when the proxy is trusted): rate limits and stream caps count real clients.
    trustProxy: typeof config.trustProxy === "number" ? trustedHops(config.trustProxy) : config.trustProxy,
    genReqId: requestIdOf,
    // Query strings like ?status=a&status=b arrive as arrays; the zod schemas decide what is allowed.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PATH_PARAM_LENGTH },
    // What the router and Node's parser refuse (bad percent-encoding, an over-long parameter,
    // 16 KB of headers) gets the envelope too, not Fastify's own body.
    frameworkErrors: (error, request, reply) => {
      void reply.header(REQUEST_ID_HEADER, request.id);
      sendError(error, request, reply);
    },
    clientErrorHandler: answerClientError,
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      new ApiError(
        404,
        "not_found",
        `No route ${request.method} ${request.url.split("?")[0] ?? ""}; see ${API_PREFIX}/docs.`,
      ),
      request,
      reply,
    ),
  );
  app.addHook("onRequest", (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    authenticate(request, credentials);
    done();
  });
  if (config.corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: config.corsOrigins,
      exposedHeaders: [REQUEST_ID_HEADER, "retry-after"],
    });
  }
  await registerRateLimit(app, deps);
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: "UpNext history server", version: SERVER_VERSION },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: credentials.length === 0 ? [] : [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: `${API_PREFIX}/docs` });
  app.register(healthRoutes(deps));
  app.register(metricsRoutes(options.metrics ?? createServerMetrics()));
  app.register(jobRoutes(deps));
  app.register(jobStatsRoutes(deps));
  app.register(functionRoutes(deps));
  app.register(workerRoutes(deps));
  app.register(queueRoutes(deps));
  app.register(dashboardRoutes(deps));
  app.register(apiRoutes(deps, options.hub));
  const queueAdmin = await openQueueAdmin(deps, logger);
  app.addHook("onClose", () => queueAdmin.close());
  app.register(jobActionRoutes(deps, queueAdmin));
  app.register(functionActionRoutes(deps, queueAdmin));
  app.register(scheduleRoutes(deps, queueAdmin));
  app.register(deadLetterRoutes(deps, queueAdmin));
  app.register(bulkActionRoutes(deps, queueAdmin));
  if (options.hub) app.register(streamRoutes(options.hub));
  app.register(streamTicketRoutes(deps));
  app.register(
    artifactRoutes(deps, {
      storage: options.artifactStorage ?? createArtifactStorage(config),
    }),
  );
  app.register(dashboardStaticRoutes({ root: options.dashboardRoot }));
  return app;
}
