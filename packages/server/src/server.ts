/**
 * The server process: opens its own connections, migrates the database, builds the app, starts
 * the background services and listens. `close()` stops them in reverse order. Nothing here is
 * global: two servers can run in one process (tests do).
 */
import { type Config } from "@upnext/core";
import { getConfig } from "upnext";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { startAlerts } from "./alerts/alert-engine.js";
import { buildApp } from "./app.js";
import { artifactServiceHooks } from "./artifacts/artifact-lifecycle.js";
import type { ArtifactStorage } from "./artifacts/artifact-storage.js";
import { closeArtifactStorage, createArtifactStorage } from "./artifacts/storage-from-config.js";
import { createDependencies, type ServerDependencies } from "./connections/server-dependencies.js";
import { openServerRedis } from "./connections/server-redis.js";
import { apiCredentials, assertSafeListenAddress } from "./http/auth.js";
import { createServerLogger } from "./http/server-logger.js";
import { startIngester } from "./ingest/ingester.js";
import { createServerMetrics } from "./observability/server-metrics.js";
import { registerReadSnapshots } from "./reports/snapshot-sources.js";
import { startRetention } from "./sweeps/retention-sweep.js";
import { createStreamHub } from "./sse/stream-hub.js";
import { type HistoryDatabase, openDatabase } from "./store/database.js";
import { migrate } from "./store/migrator.js";

/** How long start-up waits for the ingest consumer group before listening anyway. */
const INGEST_READY_TIMEOUT_MS = 5_000;

export interface StartServerOptions {
  readonly config?: Config;
  /** Overrides UPNEXT_SERVER_HOST / UPNEXT_SERVER_PORT. */
  readonly host?: string;
  readonly port?: number;
  /** Apply pending migrations before serving (default true). */
  readonly migrate?: boolean;
  readonly logger?: Logger;
}

export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly deps: ServerDependencies;
  /** Migrations applied at start. */
  readonly migrated: readonly string[];
  close(): Promise<void>;
}

/** A background part of the server with a lifecycle (ingest, retention, live streams...). */
export interface ServerService {
  readonly name: string;
  stop(): Promise<void>;
}

/** Waits for `closing` at most `timeoutMs`; past it runs `force` and resolves. */
async function closeWithin(timeoutMs: number, closing: Promise<void>, force: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"late">((resolve) => {
    timer = setTimeout(() => {
      resolve("late");
    }, timeoutMs);
  });
  try {
    if ((await Promise.race([closing, deadline])) === "late") force();
  } finally {
    clearTimeout(timer);
  }
}

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const config = options.config ?? getConfig();
  const host = options.host ?? config.serverHost;
  const port = options.port ?? config.serverPort;
  assertSafeListenAddress(host, apiCredentials(config));

  const database = await openDatabase(config.databaseUrl);
  // SQLite serialises work on a connection: ingest writes on a handle of its own so API reads are
  // not queued behind its transactions (WAL lets them read meanwhile). PostgreSQL pools already.
  let ingestDatabase: HistoryDatabase | undefined;
  const redis = openServerRedis(config.redisUrl);
  const services: ServerService[] = [];
  let deps: ServerDependencies | undefined;
  let app: FastifyInstance | undefined;
  let storage: ArtifactStorage | undefined;
  const closeGracefully = async (): Promise<void> => {
    for (const service of services.reverse()) {
      await service.stop().catch((error: unknown) => {
        app?.log.warn({ err: error, service: service.name }, "service did not stop cleanly");
      });
    }
    await app?.close();
    // After the app: a download in flight still reads from the storage until then.
    if (storage) closeArtifactStorage(storage);
    deps?.stop();
    await redis.quit().catch(() => {
      redis.disconnect();
    });
    await ingestDatabase?.close();
    await database.close();
  };
  // Whatever state Redis or the database is in, the process stops within its shutdown timeout:
  // past it, open sockets are dropped and the connections cut instead of waited for.
  const close = (): Promise<void> =>
    closeWithin(config.shutdownTimeout, closeGracefully(), () => {
      (app?.log ?? options.logger)?.warn(
        { shutdownTimeoutMs: config.shutdownTimeout },
        "the server did not stop within its shutdown timeout; closing its connections forcibly",
      );
      app?.server.closeAllConnections();
      redis.disconnect();
    });
  try {
    const migrated = options.migrate === false ? [] : await migrate(database);
    deps = createDependencies({ config, redis, database });
    // One logger for the app and the services, so their lines share format and level.
    const logger = options.logger ?? createServerLogger(config.logLevel, config.logFormat);
    const hub = createStreamHub(deps, { logger });
    registerReadSnapshots(hub, deps);
    await hub.start();
    services.push({ name: "live streams", stop: () => hub.stop() });
    const metrics = createServerMetrics();
    // Artifacts follow their jobs: promoted when ingest inserts the job, deleted with it by retention.
    const artifactStorage = createArtifactStorage(config);
    storage = artifactStorage;
    const artifacts = artifactServiceHooks(deps, artifactStorage, logger);
    if (database.dialect === "sqlite") ingestDatabase = await openDatabase(config.databaseUrl);
    const ingester = startIngester(deps, {
      logger,
      metrics,
      onJobsInserted: artifacts.onJobsInserted,
      ...(ingestDatabase ? { database: ingestDatabase } : {}),
    });
    services.push({ name: "ingest", stop: () => ingester.stop() });
    // Listen only once the consumer group exists: a first start reads from `$`, and an event
    // written between "listening" and the group's creation would otherwise never be ingested.
    if (!(await ingester.ready(INGEST_READY_TIMEOUT_MS))) {
      logger.warn(
        "the ingest consumer group is not created yet (is Redis down?); ingest starts when Redis answers",
      );
    }
    const retention = startRetention(deps, {
      logger,
      metrics,
      beforeDeleteJobs: artifacts.beforeDeleteJobs,
      collectOrphanedArtifacts: artifacts.collectOrphanedArtifacts,
    });
    services.push({ name: "retention", stop: () => retention.stop() });
    const alerts = startAlerts(deps, { logger, metrics });
    services.push({ name: "alerts", stop: () => alerts.stop() });
    app = await buildApp({ deps, logger, hub, metrics, artifactStorage });
    if (migrated.length > 0) app.log.info({ migrations: migrated }, "database migrated");
    const address = await app.listen({ host, port });
    app.log.info({ address, database: database.location }, "upnext server listening");
    return { url: address, app, deps, migrated, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
