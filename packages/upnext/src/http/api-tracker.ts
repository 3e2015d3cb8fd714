/**
 * ApiTracker: what `upnext/http`'s middlewares report to (docs/http-apis.md). It keeps per-route
 * figures of the current minutes (route-stats.ts) and reports them on the status stream every
 * `flushInterval`, samples slow and failed requests as events (rate-limited, so an error storm
 * cannot flood the stream), and heartbeats the instance (name, version, host, routes) into the
 * registry the history server reads.
 *
 * It never fails a request: recording is synchronous and in memory, and every Redis write is
 * off the request path (a Redis outage is logged, and reports wait in the status buffer).
 */
import {
  type ApiEvent,
  type ApiRequestSample,
  apiNameSchema,
  InvalidOptionError,
  newWorkerId,
  parseDuration,
  type Duration,
} from "@upnext/core";
import { hostname } from "node:os";
import { NamespaceClient, type StandaloneOptions } from "../runtime/namespace-client.js";
import { RateLimitedLog } from "../runtime/observability/logger.js";
import { RouteStats } from "./route-stats.js";

export interface ApiTrackerOptions extends StandaloneOptions {
  /** The API's name: instances of one service share it (letters, digits, '.', '_', ':', '-'). */
  readonly name: string;
  /** Shown beside each instance (e.g. your package version). */
  readonly version?: string;
  /** A request at least this long is sampled as slow (default "1s"). */
  readonly slowThreshold?: Duration;
  /** Also sample 4xx answers as failed (default false: only 5xx). */
  readonly sampleClientErrors?: boolean;
  /** Most sampled requests reported per second; the rest are only counted (default 20). */
  readonly maxSamplesPerSecond?: number;
  /** How often figures are reported (default "5s"). */
  readonly flushInterval?: Duration;
  /** How often the instance record is refreshed (default UPNEXT_HEARTBEAT_INTERVAL). */
  readonly heartbeatInterval?: Duration;
  /**
   * Run each request in the context jobs read their trace from (default true). Turn off only
   * if the async context costs too much (see docs/http-apis.md, "Overhead").
   */
  readonly propagateTrace?: boolean;
}

export interface TrackedRequest {
  readonly method: string;
  /** The route template (`/users/:id`), never the raw URL. */
  readonly route: string;
  readonly status: number;
  readonly durationMs: number;
  readonly requestId: string | null;
  /** Asked only for a sampled request. */
  readonly traceId: () => string | null;
}

export interface ApiRoute {
  readonly method: string;
  readonly route: string;
}

export interface ApiTrackerCounters {
  readonly requests: number;
  readonly sampled: number;
  /** Slow or failed requests not sampled because of maxSamplesPerSecond. */
  readonly samplesDropped: number;
  readonly heartbeatFailures: number;
}

const OPTION_NAMES = new Set([
  "name",
  "version",
  "slowThreshold",
  "sampleClientErrors",
  "maxSamplesPerSecond",
  "flushInterval",
  "heartbeatInterval",
  "propagateTrace",
  "redis",
  "redisOptions",
  "namespace",
  "config",
  "logger",
]);

const live = new Set<ApiTracker>();

export class ApiTracker {
  /** Trackers started and not yet stopped in this process (`upnext run` stops them at shutdown). */
  static live(): ApiTracker[] {
    return [...live];
  }

  readonly name: string;
  readonly version: string | null;
  readonly instanceId: string;
  readonly propagateTrace: boolean;
  private readonly slowMs: number;
  private readonly sampleClientErrors: boolean;
  private readonly maxSamplesPerSecond: number;
  private readonly flushMs: number;
  private readonly options: ApiTrackerOptions;
  private readonly stats = new RouteStats();
  private readonly routeSources: (() => readonly ApiRoute[])[] = [];
  private readonly seenRoutes = new Map<string, ApiRoute>();
  private connection: NamespaceClient | undefined;
  private timers: NodeJS.Timeout[] = [];
  private startedAt = 0;
  private sampleWindow = 0;
  private samplesInWindow = 0;
  private stopping: Promise<void> | undefined;
  private readonly warnings = new RateLimitedLog(60_000);
  private counts = { requests: 0, sampled: 0, samplesDropped: 0, heartbeatFailures: 0 };

  constructor(options: ApiTrackerOptions) {
    for (const key of Object.keys(options)) {
      if (!OPTION_NAMES.has(key)) {
        throw new InvalidOptionError(
          key,
          (options as unknown as Record<string, unknown>)[key],
          `not an ApiTracker option; known: ${[...OPTION_NAMES].join(", ")}`,
        );
      }
    }
    const parsed = apiNameSchema.safeParse(options.name);
    if (!parsed.success)
      throw new InvalidOptionError("name", options.name, parsed.error.issues[0]?.message ?? "invalid");
    const maxSamples = options.maxSamplesPerSecond ?? 20;
    if (!Number.isInteger(maxSamples) || maxSamples < 0) {
      throw new InvalidOptionError("maxSamplesPerSecond", maxSamples, "a whole number ≥ 0 (0: never sample)");
    }
    this.options = options;
    this.name = parsed.data;
    this.version = options.version ?? null;
    this.instanceId = newWorkerId(this.name);
    this.slowMs = parseDuration(options.slowThreshold ?? "1s", "slowThreshold");
    this.flushMs = parseDuration(options.flushInterval ?? "5s", "flushInterval");
    if (this.flushMs < 1)
      throw new InvalidOptionError("flushInterval", options.flushInterval, "must be at least 1ms");
    this.sampleClientErrors = options.sampleClientErrors ?? false;
    this.maxSamplesPerSecond = maxSamples;
    this.propagateTrace = options.propagateTrace ?? true;
  }

  counters(): ApiTrackerCounters {
    return { ...this.counts };
  }

  /** Adds a source of declared routes (a framework adapter's route table) to the heartbeat. */
  addRouteSource(source: () => readonly ApiRoute[]): void {
    this.routeSources.push(source);
  }

  /** Declared routes, and any route that has had requests, sorted. */
  routes(): ApiRoute[] {
    const all = new Map(this.seenRoutes);
    for (const source of this.routeSources) {
      for (const route of source()) all.set(`${route.method} ${route.route}`, route);
    }
    return [...all.values()].sort(
      (a, b) => a.route.localeCompare(b.route) || a.method.localeCompare(b.method),
    );
  }

  /** Starts reporting and heartbeats (idempotent; the adapters call it). */
  start(): void {
    if (this.connection !== undefined || this.stopping !== undefined) return;
    const connection = new NamespaceClient({ ...this.options, tracing: false });
    this.connection = connection;
    this.startedAt = Date.now();
    live.add(this);
    const heartbeatMs = parseDuration(
      this.options.heartbeatInterval ?? connection.config.heartbeatInterval,
      "heartbeatInterval",
    );
    const flush = setInterval(() => {
      void this.flush();
    }, this.flushMs);
    const beat = setInterval(() => void this.beat(heartbeatMs), heartbeatMs);
    flush.unref();
    beat.unref();
    this.timers = [flush, beat];
    void this.beat(heartbeatMs);
  }

  /** Records one finished request (synchronous, in memory). */
  record(request: TrackedRequest, now: number = Date.now()): void {
    this.counts.requests++;
    this.stats.record(request.method, request.route, request.status, request.durationMs, now);
    if (!this.seenRoutes.has(`${request.method} ${request.route}`) && this.seenRoutes.size < 1_000) {
      this.seenRoutes.set(`${request.method} ${request.route}`, {
        method: request.method,
        route: request.route,
      });
    }
    const failed = request.status >= 500 || (this.sampleClientErrors && request.status >= 400);
    const slow = request.durationMs >= this.slowMs;
    if (!failed && !slow) return;
    const second = Math.floor(now / 1000);
    if (second !== this.sampleWindow) {
      this.sampleWindow = second;
      this.samplesInWindow = 0;
    }
    if (this.samplesInWindow >= this.maxSamplesPerSecond) {
      this.counts.samplesDropped++;
      return;
    }
    this.samplesInWindow++;
    this.counts.sampled++;
    const sample: ApiRequestSample = {
      method: request.method,
      route: request.route,
      status: request.status,
      durationMs: Math.round(request.durationMs * 1000) / 1000,
      requestId: request.requestId === null ? null : request.requestId.slice(0, 200),
      traceId: request.traceId(),
      reason: failed ? "failed" : "slow",
    };
    this.publish({ type: "api.request", api: this.name, instanceId: this.instanceId, at: now, data: sample });
  }

  /**
   * Reports the figures recorded since the last report (the timer does this every
   * flushInterval); resolves once the reports (and earlier samples) reached the status stream,
   * or were handled by its overflow policy.
   */
  async flush(now: number = Date.now()): Promise<void> {
    for (const report of this.stats.collect(now)) {
      this.publish({ type: "api.stats", api: this.name, instanceId: this.instanceId, at: now, data: report });
    }
    await this.connection?.publisher.flush();
  }

  private publish(event: ApiEvent): void {
    void this.connection?.publisher.publish(event);
  }

  private async beat(heartbeatMs: number): Promise<void> {
    const connection = this.connection;
    if (connection === undefined || this.stopping !== undefined) return;
    const { redis, keys } = connection;
    const now = Date.now();
    const key = keys.api(this.instanceId);
    const ttl = heartbeatMs * 3;
    try {
      const replies = await redis
        .pipeline()
        .hset(key, {
          api: this.name,
          version: this.version ?? "",
          host: hostname(),
          pid: String(process.pid),
          routes: JSON.stringify(this.routes()),
          startedAt: String(this.startedAt),
          lastSeen: String(now),
        })
        .pexpire(key, ttl)
        .zadd(keys.apis, now, this.instanceId)
        // Instances whose record expired (crashed) leave the index too.
        .zremrangebyscore(keys.apis, "-inf", now - ttl)
        .exec();
      const failed = replies?.find(([error]) => error !== null)?.[0];
      if (failed) throw failed;
    } catch (error) {
      this.counts.heartbeatFailures++;
      if (this.warnings.shouldLog("heartbeat")) {
        connection.logger.warn({ err: String(error), api: this.name }, "API heartbeat failed; retrying");
      }
    }
  }

  /**
   * Reports what is left, removes the instance from the registry and closes the connection.
   * Idempotent. Call it after the HTTP server stopped taking requests.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    live.delete(this);
    const connection = this.connection;
    if (connection === undefined) return;
    await this.flush(Date.now() + 60_000);
    try {
      await connection.redis
        .pipeline()
        .del(connection.keys.api(this.instanceId))
        .zrem(connection.keys.apis, this.instanceId)
        .exec();
    } catch (error) {
      connection.logger.warn(
        { err: String(error) },
        "could not remove the API instance record; it will expire",
      );
    }
    await connection.close();
  }
}
