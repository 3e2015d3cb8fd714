/**
 * One hub per server process: it reads each Redis source once (the status stream on one
 * blocking connection, artifact notifications on one subscription, snapshots once per interval
 * per key) and fans out to every live connection, so a hundred browser tabs cost no more Redis
 * connections than one. `serve` is the one SSE endpoint every stream goes through: caps, resume,
 * headers, `retry:`, heartbeats, the bounded buffer, error/ready on Redis loss, cleanup.
 *
 * Whoever starts the server creates the hub, passes it to buildApp and stops it at shutdown.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { OutgoingHttpHeaders } from "node:http";
import { DependencyUnavailableError } from "../connections/circuit-breaker.js";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { badRequest } from "../http/api-error.js";
import { clientKey } from "../http/rate-limit.js";
import { ArtifactFeed, artifactFeedConnectionOptions } from "./artifact-feed.js";
import { ConnectionLimiter } from "./connection-limiter.js";
import { type HubLogger, SILENT_LOGGER } from "./hub-logger.js";
import { type ApiRequestFilter, apiRequestSource } from "./api-request-source.js";
import type { JobEventFilter } from "./job-event-fanout.js";
import { type SnapshotParams, type SnapshotSource, SnapshotHub } from "./snapshot-channels.js";
import { type CloseReason, SseConnection } from "./sse-connection.js";
import { type SseFrame, heartbeatFrame, messageFrame, retryFrame } from "./sse-frame.js";
import * as limits from "./sse-limits.js";
import { StatusFeed } from "./status-feed.js";
import { statusReaderConnectionOptions } from "./status-stream-reader.js";
import { MESSAGE_ID_PATTERN } from "./stream-ids.js";
import type { LiveSubscription, StreamSource } from "./stream-source.js";
import { readWorkersSnapshot } from "./workers-snapshot.js";

/** The snapshot streams whose source another module provides (the read API's queries). */
export type SnapshotStreamName = "dashboard" | "jobTrends";

export interface StreamHubOptions {
  readonly logger?: HubLogger;
  /** Sources of the dashboard and trends streams; see `registerSnapshotSource`. */
  readonly snapshots?: Partial<Record<SnapshotStreamName, SnapshotSource>>;
  readonly heartbeatMs?: number;
  readonly retryMs?: number;
  readonly maxBufferedBytes?: number;
  readonly slowClientGraceMs?: number;
  /** Default config.sseMaxConnections. */
  readonly maxConnections?: number;
  /** Default config.sseMaxPerClient. */
  readonly maxPerClient?: number;
  readonly readBlockMs?: number;
  readonly ringMaxEntries?: number;
  readonly ringMaxBytes?: number;
  readonly resumeMaxEntries?: number;
  readonly workersIntervalMs?: number;
  readonly dashboardIntervalMs?: number;
  readonly trendsIntervalMs?: number;
}

export interface HubStats {
  readonly connections: number;
  readonly jobSubscribers: number;
  readonly snapshotChannels: number;
  readonly snapshotComputations: number;
  readonly droppedSlowClients: number;
  readonly redisUp: boolean;
  /** The last status-stream entry read. */
  readonly position: string;
}

export interface StreamHub {
  /** Starts the Redis readers; returns at once (see `ready`). */
  start(): Promise<void>;
  /** Ends every live connection and stops the readers. */
  stop(): Promise<void>;
  /** Resolves once the readers are live for the first time (streams answer 503 before). */
  ready(): Promise<void>;
  /** Ends every live connection (the app's close does this before waiting for connections). */
  closeConnections(): void;
  /** Answers the request with the stream (or, before it starts, with the error envelope). */
  serve(request: FastifyRequest, reply: FastifyReply, source: StreamSource): Promise<void>;
  jobEvents(filter: JobEventFilter): StreamSource;
  workers(): StreamSource;
  /** Sampled slow and failed HTTP requests as they arrive (docs/http-apis.md). */
  apiRequests(filter: ApiRequestFilter): StreamSource;
  artifacts(jobId: string): StreamSource;
  /** The dashboard or trends stream, or undefined while no source is registered for it. */
  snapshot(name: SnapshotStreamName, params: SnapshotParams): StreamSource | undefined;
  /** The registration point for the read API's dashboard summary and hourly trends. */
  registerSnapshotSource(name: SnapshotStreamName, source: SnapshotSource): void;
  stats(): HubStats;
}

interface Live {
  readonly connection: SseConnection;
  readonly subscription: LiveSubscription;
}

const SSE_HEADERS: OutgoingHttpHeaders = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  // nginx buffers proxied responses unless told not to; a buffered stream is not live.
  "x-accel-buffering": "no",
};

const CONNECTION_NAME = "upnext-server-sse";

function lastEventIdOf(request: FastifyRequest): string | undefined {
  // The header is what EventSource sends on its own reconnects, so it wins over the query
  // value baked into the URL at the first connect.
  const header = request.headers["last-event-id"];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const query = request.query as { lastEventId?: unknown } | undefined;
  const value = fromHeader !== undefined && fromHeader !== "" ? fromHeader : query?.lastEventId;
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string" || !MESSAGE_ID_PATTERN.test(value)) {
    throw badRequest(
      `Last-Event-ID ${JSON.stringify(JSON.stringify(value).slice(0, 80))} is not a message id: ids look like 1732800000000-0 (send back an id the stream sent).`,
      { parameter: "Last-Event-ID" },
    );
  }
  return value;
}

export function createStreamHub(deps: ServerDependencies, options: StreamHubOptions = {}): StreamHub {
  const { config } = deps;
  const logger = options.logger ?? SILENT_LOGGER;
  const heartbeatMs = options.heartbeatMs ?? limits.SSE_HEARTBEAT_MS;
  const retry = retryFrame(options.retryMs ?? limits.SSE_RETRY_MS);
  const maxBufferedBytes = options.maxBufferedBytes ?? limits.SSE_MAX_BUFFERED_BYTES;
  const buffering = {
    maxBufferedBytes,
    hardMaxBufferedBytes: maxBufferedBytes * limits.SSE_HARD_BUFFER_FACTOR,
    graceMs: options.slowClientGraceMs ?? limits.SSE_SLOW_CLIENT_GRACE_MS,
  };
  const limiter = new ConnectionLimiter(
    options.maxConnections ?? config.sseMaxConnections,
    options.maxPerClient ?? config.sseMaxPerClient,
  );
  const snapshotSources = new Map(Object.entries(options.snapshots ?? {})) as Map<
    SnapshotStreamName,
    SnapshotSource
  >;
  const intervals: Record<SnapshotStreamName, number> = {
    dashboard: options.dashboardIntervalMs ?? limits.DASHBOARD_SNAPSHOT_INTERVAL_MS,
    jobTrends: options.trendsIntervalMs ?? limits.TRENDS_SNAPSHOT_INTERVAL_MS,
  };
  const workersIntervalMs = options.workersIntervalMs ?? limits.WORKERS_SNAPSHOT_INTERVAL_MS;
  const lives = new Set<Live>();
  let droppedSlowClients = 0;
  let redisUp = false;
  let started = false;
  let stopped = false;
  // Read through a function where `stopped` may have changed during an await.
  const isStopped = (): boolean => stopped;
  const timers: NodeJS.Timeout[] = [];
  let markReady: () => void = () => undefined;
  const firstReady = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const broadcast = (frameOf: (subscription: LiveSubscription) => SseFrame): void => {
    for (const live of lives) live.connection.write(frameOf(live.subscription));
  };

  const onAvailability = (): void => {
    const up = feed.reader.isUp && artifacts.isUp;
    if (up === redisUp || stopped) return;
    redisUp = up;
    if (up) markReady();
    logger.info(
      { dependency: "redis", up },
      up ? "live streams: Redis is back" : "live streams: Redis is away",
    );
    broadcast((subscription) =>
      up
        ? messageFrame("ready", subscription.position(), { reason: "recovered" })
        : messageFrame("error", subscription.position(), {
            code: "dependency_unavailable",
            dependency: "redis",
            message: "Redis is unavailable; the stream resumes where it stopped when it is back.",
          }),
    );
  };

  const feed = new StatusFeed({
    deps,
    connection: deps.redis.duplicate(statusReaderConnectionOptions(`${CONNECTION_NAME}-status`)),
    ringMaxEntries: options.ringMaxEntries ?? limits.STATUS_RING_MAX_ENTRIES,
    ringMaxBytes: options.ringMaxBytes ?? limits.STATUS_RING_MAX_BYTES,
    readBlockMs: options.readBlockMs ?? limits.STATUS_READ_BLOCK_MS,
    readCount: limits.STATUS_READ_COUNT,
    resumeMaxEntries: options.resumeMaxEntries ?? limits.RESUME_MAX_ENTRIES,
    logger,
    onAvailability,
  });
  const artifacts = new ArtifactFeed({
    connection: deps.redis.duplicate(artifactFeedConnectionOptions(`${CONNECTION_NAME}-artifacts`)),
    channel: deps.keys.artifactsChannel,
    ringMaxEntries: limits.ARTIFACT_RING_MAX_ENTRIES,
    logger,
    onAvailability,
  });
  const snapshots = new SnapshotHub(logger);

  const closeConnections = (): void => {
    for (const live of [...lives]) live.connection.close();
  };

  const serve = async (request: FastifyRequest, reply: FastifyReply, source: StreamSource): Promise<void> => {
    const lastEventId = lastEventIdOf(request);
    if (stopped) throw new DependencyUnavailableError("live streams", limits.SSE_RETRY_MS);
    if (source.needsRedis && !redisUp) {
      throw new DependencyUnavailableError("redis", limits.SSE_RETRY_MS);
    }
    const release = limiter.acquire(clientKey(request));
    let subscription: LiveSubscription;
    try {
      subscription = await source.open(lastEventId);
    } catch (error) {
      release();
      throw error;
    }
    const socket = request.raw.socket;
    if (socket.destroyed || isStopped()) {
      // The client left (or the server is closing) while the stream was being opened.
      subscription.stop();
      release();
      void reply.hijack();
      reply.raw.destroy();
      return;
    }
    void reply.hijack();
    const response = reply.raw;
    response.writeHead(200, { ...(reply.getHeaders() as OutgoingHttpHeaders), ...SSE_HEADERS });
    socket.setNoDelay(true);
    const live: Live = {
      subscription,
      connection: new SseConnection(response, {
        ...buffering,
        onClose: (reason: CloseReason) => {
          lives.delete(live);
          subscription.stop();
          release();
          if (reason === "slow") {
            droppedSlowClients += 1;
            request.log.info(
              { stream: source.name, maxBufferedBytes },
              "live stream client dropped: it did not read what was sent",
            );
          }
        },
      }),
    };
    lives.add(live);
    live.connection.write(retry);
    try {
      subscription.start(live.connection);
    } catch (error) {
      // The response has started: the envelope cannot be sent any more, so end the stream.
      request.log.error({ err: error, stream: source.name }, "live stream could not start");
      live.connection.close();
      return;
    }
    live.connection.write(
      source.needsRedis && !redisUp
        ? messageFrame("error", subscription.position(), {
            code: "dependency_unavailable",
            dependency: "redis",
            message: "Redis is unavailable; the stream resumes when it is back.",
          })
        : messageFrame("ready", subscription.position(), { reason: "connected" }),
    );
  };

  const workersSource = (): StreamSource => {
    const base = snapshots.source(
      "workers",
      {},
      () => readWorkersSnapshot(deps, limits.WORKERS_SNAPSHOT_MAX),
      workersIntervalMs,
    );
    return {
      name: "workers",
      needsRedis: true,
      // A (re)connect always starts from a fresh snapshot, which supersedes anything missed.
      open: async () => {
        const snapshot = await base.open(undefined);
        let unsubscribe: (() => void) | undefined;
        return {
          positionInHeartbeat: false,
          position: () => snapshot.position(),
          start: (connection) => {
            snapshot.start(connection);
            unsubscribe = feed.onWorkerEvent((entry) => {
              connection.write(entry.frame);
            });
          },
          stop: () => {
            unsubscribe?.();
            snapshot.stop();
          },
        };
      },
    };
  };

  return {
    start: () => {
      if (!started) {
        started = true;
        feed.start();
        const heartbeat = setInterval(() => {
          broadcast((subscription) =>
            heartbeatFrame(subscription.positionInHeartbeat ? subscription.position() : undefined),
          );
        }, heartbeatMs);
        const sweep = setInterval(() => {
          snapshots.cache.sweep();
        }, limits.SNAPSHOT_SWEEP_INTERVAL_MS);
        heartbeat.unref();
        sweep.unref();
        timers.push(heartbeat, sweep);
      }
      return Promise.resolve();
    },
    stop: async () => {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      closeConnections();
      snapshots.stop();
      artifacts.stop();
      await feed.stop();
    },
    ready: () => firstReady,
    closeConnections,
    serve,
    jobEvents: (filter) => feed.jobEvents(filter),
    workers: workersSource,
    apiRequests: (filter) => apiRequestSource(feed, filter),
    artifacts: (jobId) => artifacts.artifacts(jobId),
    snapshot: (name, params) => {
      const source = snapshotSources.get(name);
      return source === undefined ? undefined : snapshots.source(name, params, source, intervals[name]);
    },
    registerSnapshotSource: (name, source) => {
      snapshotSources.set(name, source);
    },
    stats: () => ({
      connections: lives.size,
      jobSubscribers: feed.jobSubscribers,
      snapshotChannels: snapshots.activeChannels,
      snapshotComputations: snapshots.cache.computations,
      droppedSlowClients,
      redisUp,
      position: feed.position,
    }),
  };
}
