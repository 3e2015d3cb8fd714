/**
 * The worker's registry records, for the server and dashboard: a worker hash (id, name, host,
 * pid, functions, concurrency, active count, start and last-seen times) and one record per
 * function (name, kind, options) with its flow-control settings, each with a TTL refreshed by the
 * heartbeat (which also writes back function records Redis lost), plus
 * worker.started / heartbeat / stopped events on the status stream.
 */
import { hostname } from "node:os";
import type { NamespaceKeys, WorkerInfo } from "@upnext/core";
import type { ChainableCommander, Redis } from "ioredis";
import type { Logger } from "./observability/logger.js";
import type { StatusPublisher } from "./status/status-publisher.js";
import type { TaskDefinition } from "./execution/task-definition.js";

/** Function records outlive their workers, so the dashboard can show functions nobody serves now. */
const FUNCTION_RECORD_TTL_MS = 30 * 86_400_000;

/** How long a worker's registry record lives without a heartbeat: three missed beats. */
export function workerRecordTtlMs(heartbeatMs: number): number {
  return heartbeatMs * 3;
}

export interface HeartbeatStats {
  readonly active: number;
  readonly held: number;
  readonly completed: number;
  readonly failed: number;
}

export interface RegistrationOptions {
  readonly redis: Redis;
  readonly keys: NamespaceKeys;
  readonly publisher: StatusPublisher;
  readonly workerId: string;
  readonly name: string;
  readonly concurrency: number;
  readonly definitions: readonly TaskDefinition[];
  readonly heartbeatMs: number;
  readonly stats: () => HeartbeatStats;
  readonly functionConfigKey: (fn: string) => string;
  readonly logger: Logger;
}

export class Registration {
  readonly info: WorkerInfo;
  private timer: NodeJS.Timeout | undefined;
  /** When the registry record was last written (0: never): readiness wants it fresh. */
  lastBeatAt = 0;
  /** Heartbeats that failed on a Redis error. */
  failures = 0;

  constructor(private readonly options: RegistrationOptions) {
    this.info = {
      id: options.workerId,
      name: options.name,
      host: hostname(),
      pid: process.pid,
      functions: options.definitions.map((definition) => definition.name),
      concurrency: options.concurrency,
      startedAt: Date.now(),
    };
  }

  /** How long the registry record lives without a heartbeat. */
  get ttlMs(): number {
    return workerRecordTtlMs(this.options.heartbeatMs);
  }

  async start(): Promise<void> {
    const { redis, keys, definitions, functionConfigKey } = this.options;
    // A task that left (or changed) its routing group must stop counting against the old one.
    const previousGroups = await Promise.all(
      definitions.map((definition) => redis.hget(functionConfigKey(definition.name), "group")),
    );
    const pipeline = redis.pipeline();
    definitions.forEach((definition, index) => {
      const previous = previousGroups[index];
      if (previous && previous !== definition.flow.group?.name) {
        pipeline.srem(keys.groupMembers(previous), definition.name);
      }
    });
    const now = Date.now();
    for (const definition of definitions) this.writeFunction(pipeline, definition, now);
    await pipeline.exec();
    await this.beat();
    void this.options.publisher.publish({
      type: "worker.started",
      workerId: this.info.id,
      at: now,
      data: this.info,
    });
    this.timer = setInterval(() => {
      this.beat().catch((error: unknown) => {
        this.failures++;
        this.options.logger.warn({ err: String(error) }, "worker heartbeat failed");
      });
    }, this.options.heartbeatMs);
    this.timer.unref();
  }

  /** The function's record, its flow control and its place in the function set. */
  private writeFunction(pipeline: ChainableCommander, definition: TaskDefinition, now: number): void {
    const { keys } = this.options;
    this.writeFlowControl(pipeline, definition);
    const key = keys.function(definition.name);
    pipeline.hset(key, {
      name: definition.name,
      kind: definition.kind,
      options: JSON.stringify(definition.summary),
      updatedAt: String(now),
    });
    pipeline.pexpire(key, FUNCTION_RECORD_TTL_MS);
    pipeline.sadd(keys.functions, definition.name);
  }

  /**
   * Every beat refreshes the expiry of this worker's function records and keeps them in the
   * function set; a record that is gone (Redis lost its data: a restart without persistence, a
   * lossy failover) is written again with its flow control, so limits hold again and the server
   * lists the function without a worker restart. A record that is still there is not rewritten:
   * during a rolling deploy the last worker started keeps deciding a task's settings.
   */
  private async reassertFunctions(now: number): Promise<void> {
    const { redis, keys, definitions, logger } = this.options;
    const check = redis.pipeline();
    for (const definition of definitions) {
      check.pexpire(keys.function(definition.name), FUNCTION_RECORD_TTL_MS);
      check.sadd(keys.functions, definition.name);
    }
    const replies = (await check.exec()) ?? [];
    const failed = replies.find(([error]) => error !== null)?.[0];
    if (failed) throw failed;
    const missing = definitions.filter((_, index) => replies[index * 2]?.[1] === 0);
    if (missing.length === 0) return;
    const write = redis.pipeline();
    for (const definition of missing) this.writeFunction(write, definition, now);
    const written = (await write.exec()) ?? [];
    const writeFailed = written.find(([error]) => error !== null)?.[0];
    if (writeFailed) throw writeFailed;
    logger.warn(
      { functions: missing.map((definition) => definition.name) },
      "function records were missing from Redis (data lost?); registered them again with their flow control",
    );
  }

  /**
   * Publishes the task's flow control to its config hash, which the claim script reads. The
   * `paused` flag is left alone: it belongs to whoever paused the function.
   */
  private writeFlowControl(pipeline: ChainableCommander, definition: TaskDefinition): void {
    const { keys, functionConfigKey } = this.options;
    const key = functionConfigKey(definition.name);
    const flow = definition.flow;
    const set: Record<string, string> = {};
    if (flow.concurrency !== undefined) set.concurrency = String(flow.concurrency);
    if (flow.group) {
      set.group = flow.group.name;
      if (flow.group.max !== undefined) set.groupMax = String(flow.group.max);
      pipeline.sadd(keys.groupMembers(flow.group.name), definition.name);
    }
    if (flow.rate) {
      set.rateLimit = String(flow.rate.limit);
      set.rateWindow = String(flow.rate.windowMs);
      if (flow.rate.onEnqueue) set.rateOnEnqueue = flow.rate.onEnqueue;
    }
    const unset = ["concurrency", "group", "groupMax", "rateLimit", "rateWindow", "rateOnEnqueue"].filter(
      (field) => !(field in set),
    );
    if (unset.length > 0) pipeline.hdel(key, ...unset);
    if (Object.keys(set).length > 0) pipeline.hset(key, set);
  }

  async beat(): Promise<void> {
    const { redis, keys, workerId } = this.options;
    const stats = this.options.stats();
    const now = Date.now();
    const key = keys.worker(workerId);
    const replies = await redis
      .pipeline()
      .hset(key, {
        id: workerId,
        name: this.info.name,
        host: this.info.host,
        pid: String(this.info.pid),
        functions: JSON.stringify(this.info.functions),
        concurrency: String(this.info.concurrency),
        active: String(stats.active),
        held: String(stats.held),
        completed: String(stats.completed),
        failed: String(stats.failed),
        startedAt: String(this.info.startedAt),
        lastSeen: String(now),
      })
      .pexpire(key, this.ttlMs)
      .zadd(keys.workers, now, workerId)
      // Workers whose record expired (crashed) leave the index too.
      .zremrangebyscore(keys.workers, "-inf", now - this.ttlMs)
      .exec();
    const failed = replies?.find(([error]) => error !== null)?.[0];
    if (failed) throw failed;
    this.lastBeatAt = now;
    await this.reassertFunctions(now);
    void this.options.publisher.publish({ type: "worker.heartbeat", workerId, at: now, data: stats });
  }

  async stop(reason: string, handedBack: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const { redis, keys, workerId } = this.options;
    try {
      await redis.pipeline().del(keys.worker(workerId)).zrem(keys.workers, workerId).exec();
    } catch (error) {
      this.options.logger.warn({ err: String(error) }, "could not remove the worker record; it will expire");
    }
    void this.options.publisher.publish({
      type: "worker.stopped",
      workerId,
      at: Date.now(),
      data: { reason, handedBack },
    });
  }
}
