/**
 * Event subscriptions live in Redis, so a send from any process routes to every matching
 * handler on any worker (docs/events.md):
 *
 * - `<ns>:subscriptions` HASH: handler task name -> JSON {pattern, worker, maxAttempts,
 *   maxDeliveries, priority, registeredAt}. Written when a worker starts; the last worker to start
 *   wins, so a deploy that changes a handler's pattern takes effect as soon as it starts and older
 *   workers still running never write it back.
 * - `<ns>:subscriptions:seen` ZSET: handler -> the last time a running worker serving it said so.
 *   A subscription is live while that is less than SUBSCRIPTION_TTL_MS old; routing ignores the
 *   rest, and refreshes delete them. So a handler removed from the code stops receiving events
 *   once it has been unseen for that long, instead of swallowing them into a queue nobody reads.
 * - `<ns>:subscriptions:version`: bumped on every change of the HASH, so routing caches notice
 *   a new subscription within a second without re-reading the HASH on every send.
 */
import { z } from "zod";
import type { NamespaceClient } from "../namespace-client.js";
import type { Logger } from "../observability/logger.js";
import type { TaskDefinition } from "../execution/task-definition.js";
import type { RuntimeService, RuntimeServiceContext, RuntimeServiceErrors } from "../worker-runtime.js";

/** How long a subscription stays live after the last worker serving it was seen: 7 days. */
export const SUBSCRIPTION_TTL_MS = 7 * 86_400_000;
/** How often a running worker tells Redis it still serves its subscriptions. */
const REFRESH_INTERVAL_MS = 60_000;
/** A routing table is used without asking Redis for at most this long. */
const ROUTES_TRUST_MS = 1_000;
/** After this long a table is re-read even if the version did not change (its seen times age). */
const ROUTES_RELOAD_MS = 60_000;

/** What a sender needs to enqueue a job for a handler it does not have the code of. */
export interface Subscription {
  /** The handler's task name: the subscription's identity. */
  readonly handler: string;
  readonly pattern: string;
  /** Name of the worker that registered it. */
  readonly worker: string;
  readonly maxAttempts: number;
  readonly maxDeliveries: number;
  readonly priority: number;
  readonly registeredAt: number;
}

export interface RoutedSubscription extends Subscription {
  /** Last time a running worker serving this handler was seen (0: never). */
  readonly seenAt: number;
}

const recordSchema = z.object({
  pattern: z.string().min(1),
  worker: z.string().min(1),
  maxAttempts: z.number().int().min(1),
  maxDeliveries: z.number().int().min(1),
  priority: z.number().int(),
  registeredAt: z.number().int().nonnegative(),
});

function encodeRecord(subscription: Subscription): string {
  const { handler: _handler, ...record } = subscription;
  return JSON.stringify(record);
}

function decodeRecord(handler: string, json: string): Subscription | undefined {
  try {
    const parsed = recordSchema.safeParse(JSON.parse(json));
    return parsed.success ? { handler, ...parsed.data } : undefined;
  } catch {
    return undefined;
  }
}

export function isLive(subscription: RoutedSubscription, now: number): boolean {
  return subscription.seenAt > now - SUBSCRIPTION_TTL_MS;
}

interface OwnSubscription {
  readonly definition: TaskDefinition;
  readonly pattern: string;
}

/** Registers a worker's subscriptions when it starts and keeps them alive while it runs. */
export class EventSubscriptions implements RuntimeService {
  readonly name = "event-subscriptions";
  private readonly own: OwnSubscription[] = [];
  private timer: NodeJS.Timeout | undefined;
  private context: RuntimeServiceContext | undefined;
  private startedAt = 0;
  /** Refreshes that failed (retried on the next interval): `redisErrors.event_subscriptions`. */
  private failures = 0;

  constructor(
    private readonly workerName: string,
    private readonly refreshMs: number = REFRESH_INTERVAL_MS,
  ) {}

  add(definition: TaskDefinition, pattern: string): void {
    this.own.push({ definition, pattern });
  }

  get redisErrors(): RuntimeServiceErrors {
    return { operation: "event_subscriptions", count: this.failures };
  }

  /** Each handler with the event name or pattern it subscribes to, in subscription order. */
  get subscriptions(): readonly { readonly handler: string; readonly pattern: string }[] {
    return this.own.map((entry) => ({ handler: entry.definition.name, pattern: entry.pattern }));
  }

  get handlers(): readonly string[] {
    return this.own.map((entry) => entry.definition.name);
  }

  async start(context: RuntimeServiceContext): Promise<void> {
    this.context = context;
    this.startedAt = Date.now();
    const { redis, keys } = context.connection;
    const pipeline = redis.pipeline();
    // Seen before written, so a concurrent refresh never finds a definition without a seen time.
    for (const entry of this.own)
      pipeline.zadd(keys.subscriptionsSeen, this.startedAt, entry.definition.name);
    for (const entry of this.own) {
      pipeline.hset(keys.subscriptions, entry.definition.name, encodeRecord(this.recordOf(entry)));
    }
    pipeline.incr(keys.subscriptionsVersion);
    await execOrThrow(pipeline);
    context.logger.debug({ handlers: this.handlers }, "event subscriptions registered");
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => {
        this.failures++;
        this.logger.warn({ err: String(error) }, "refreshing event subscriptions failed");
      });
    }, this.refreshMs);
    this.timer.unref();
  }

  /** Subscriptions stay registered after a stop: events sent meanwhile wait in the handlers' queues. */
  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return Promise.resolve();
  }

  /**
   * Marks this worker's handlers as seen, puts back a definition someone deleted while the code
   * still subscribes, and deletes subscriptions nobody has served for SUBSCRIPTION_TTL_MS.
   */
  async refresh(now: number = Date.now()): Promise<void> {
    const context = this.context;
    if (!context) return;
    const { redis, keys } = context.connection;
    const pipeline = redis.pipeline();
    for (const entry of this.own) pipeline.zadd(keys.subscriptionsSeen, now, entry.definition.name);
    pipeline.hgetall(keys.subscriptions);
    pipeline.zrange(keys.subscriptionsSeen, 0, "-1", "WITHSCORES");
    const replies = await execOrThrow(pipeline);
    const stored = (replies[this.own.length] ?? {}) as Record<string, string>;
    const seen = scoresOf(replies[this.own.length + 1]);

    const changes = redis.pipeline();
    let changed = 0;
    for (const entry of this.own) {
      if (stored[entry.definition.name] !== undefined) continue;
      changes.hset(keys.subscriptions, entry.definition.name, encodeRecord(this.recordOf(entry)));
      changed++;
    }
    const expiredBefore = now - SUBSCRIPTION_TTL_MS;
    const expired = Object.keys(stored).filter((handler) => (seen.get(handler) ?? 0) <= expiredBefore);
    if (expired.length > 0) {
      changes.hdel(keys.subscriptions, ...expired);
      // By score, not by name: a worker that started serving one of them meanwhile keeps it.
      changes.zremrangebyscore(keys.subscriptionsSeen, "-inf", expiredBefore);
      changed++;
      this.logger.info({ handlers: expired }, "removed event subscriptions nobody served for 7 days");
    }
    if (changed === 0) return;
    changes.incr(keys.subscriptionsVersion);
    await execOrThrow(changes);
  }

  private get logger(): Logger {
    if (!this.context) throw new Error("event subscriptions are not started");
    return this.context.logger;
  }

  private recordOf(entry: OwnSubscription): Subscription {
    return {
      handler: entry.definition.name,
      pattern: entry.pattern,
      worker: this.workerName,
      maxAttempts: entry.definition.maxAttempts,
      maxDeliveries: entry.definition.maxDeliveries,
      priority: entry.definition.priority,
      registeredAt: this.startedAt,
    };
  }
}

type Pipeline = ReturnType<NamespaceClient["redis"]["pipeline"]>;

async function execOrThrow(pipeline: Pipeline): Promise<unknown[]> {
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

function scoresOf(reply: unknown): Map<string, number> {
  const scores = new Map<string, number>();
  if (!Array.isArray(reply)) return scores;
  for (let index = 0; index + 1 < reply.length; index += 2) {
    scores.set(String(reply[index]), Number(reply[index + 1]));
  }
  return scores;
}

/** Every stored subscription, with the time it was last seen. Replaced, never mutated. */
export interface SubscriptionTable {
  readonly version: string | null;
  readonly subscriptions: readonly RoutedSubscription[];
  readonly loadedAt: number;
}

interface CachedTable {
  readonly table: SubscriptionTable;
  readonly checkedAt: number;
}

const cachedTables = new WeakMap<NamespaceClient, CachedTable>();
const loadingTables = new WeakMap<NamespaceClient, Promise<SubscriptionTable>>();

/**
 * The subscriptions as routing sees them: trusted for a second, then revalidated with one GET of
 * the version counter (and re-read when it changed, or once a minute for fresh seen times).
 * Concurrent sends share one read.
 */
export function subscriptionTable(
  connection: NamespaceClient,
  now: number = Date.now(),
  options: { readonly fresh?: boolean } = {},
): Promise<SubscriptionTable> {
  if (options.fresh) return revalidate(connection, undefined, now);
  const cached = cachedTables.get(connection);
  if (cached && now - cached.checkedAt < ROUTES_TRUST_MS) return Promise.resolve(cached.table);
  let loading = loadingTables.get(connection);
  if (!loading) {
    loading = revalidate(connection, cached?.table, now).finally(() => {
      loadingTables.delete(connection);
    });
    loadingTables.set(connection, loading);
  }
  return loading;
}

async function revalidate(
  connection: NamespaceClient,
  previous: SubscriptionTable | undefined,
  now: number,
): Promise<SubscriptionTable> {
  const { redis, keys } = connection;
  if (previous && now - previous.loadedAt < ROUTES_RELOAD_MS) {
    const version = await redis.get(keys.subscriptionsVersion);
    if (version === previous.version) {
      cachedTables.set(connection, { table: previous, checkedAt: now });
      return previous;
    }
  }
  // The version is read first, so a table is never labelled newer than its contents.
  const [version, stored, seenReply] = await execOrThrow(
    redis
      .pipeline()
      .get(keys.subscriptionsVersion)
      .hgetall(keys.subscriptions)
      .zrange(keys.subscriptionsSeen, 0, "-1", "WITHSCORES"),
  );
  const seen = scoresOf(seenReply);
  const subscriptions: RoutedSubscription[] = [];
  for (const [handler, json] of Object.entries((stored ?? {}) as Record<string, string>)) {
    const subscription = decodeRecord(handler, json);
    if (subscription) subscriptions.push({ ...subscription, seenAt: seen.get(handler) ?? 0 });
  }
  subscriptions.sort((a, b) => (a.handler < b.handler ? -1 : a.handler > b.handler ? 1 : 0));
  const table: SubscriptionTable = {
    version: typeof version === "string" ? version : null,
    subscriptions,
    loadedAt: now,
  };
  cachedTables.set(connection, { table, checkedAt: now });
  return table;
}

/** Deletes one subscription now (the worker still defining it registers it again when it starts or refreshes). */
export async function deleteSubscription(connection: NamespaceClient, handler: string): Promise<boolean> {
  const { redis, keys } = connection;
  const [removed] = await execOrThrow(
    redis
      .pipeline()
      .hdel(keys.subscriptions, handler)
      .zrem(keys.subscriptionsSeen, handler)
      .incr(keys.subscriptionsVersion),
  );
  cachedTables.delete(connection);
  return removed === 1;
}
