/**
 * Queue depth per function straight from the queue's Redis keys, in ONE pipeline of counts
 * (XLEN/ZCARD, no SCAN): ready (the stream, whose entries are deleted when claimed, plus the
 * priority set), scheduled, waiting for DAG parents, leased and dead-lettered. The worker samples
 * it for its metrics and the history server reads it for its queue pages, so both count alike.
 */
import type { FunctionKeys } from "@upnext/core";
import type { Redis } from "ioredis";

export interface QueueDepth {
  /** Waiting to be claimed: the stream (approximate: includes wake markers of priority jobs) and the priority set. */
  readonly ready: number;
  /** Delayed, retrying or put off by a rate limit. */
  readonly scheduled: number;
  /** DAG children waiting for their parents. */
  readonly waiting: number;
  /** Claimed by a worker (any worker): running, prefetched or finishing. */
  readonly leased: number;
  /** In the dead-letter set. */
  readonly deadLettered: number;
}

export interface DeadLetterGrowthOptions {
  /** Also count the dead letters added at or after this time (epoch ms; the set is scored by time of death). */
  readonly deadLetteredSince: number;
}

export interface QueueDepthWithGrowth extends QueueDepth {
  /** Dead letters added at or after `deadLetteredSince`. */
  readonly recentlyDeadLettered: number;
}

/** Commands sent per function for its depth (XLEN and five ZCARDs); the growth adds a ZCOUNT. */
const DEPTH_COMMANDS = 6;

function count(reply: unknown): number {
  const value = Number(reply);
  return Number.isFinite(value) ? value : 0;
}

/**
 * The depth of each of these (valid) functions' queues, in one round trip. Any failed command
 * fails the whole read, so a caller never takes a partial reading for a real one.
 */
export function readQueueDepths(
  redis: Redis,
  keysOf: (fn: string) => FunctionKeys,
  functions: readonly string[],
): Promise<Map<string, QueueDepth>>;
export function readQueueDepths(
  redis: Redis,
  keysOf: (fn: string) => FunctionKeys,
  functions: readonly string[],
  options: DeadLetterGrowthOptions,
): Promise<Map<string, QueueDepthWithGrowth>>;
export async function readQueueDepths(
  redis: Redis,
  keysOf: (fn: string) => FunctionKeys,
  functions: readonly string[],
  options?: DeadLetterGrowthOptions,
): Promise<Map<string, QueueDepth | QueueDepthWithGrowth>> {
  if (functions.length === 0) return new Map();
  const since = options?.deadLetteredSince;
  const commandsPerFunction = since === undefined ? DEPTH_COMMANDS : DEPTH_COMMANDS + 1;
  const pipeline = redis.pipeline();
  for (const fn of functions) {
    const keys = keysOf(fn);
    pipeline
      .xlen(keys.stream)
      .zcard(keys.priority)
      .zcard(keys.scheduled)
      .zcard(keys.waiting)
      .zcard(keys.leases)
      .zcard(keys.deadLetter);
    if (since !== undefined) pipeline.zcount(keys.deadLetter, since, "+inf");
  }
  const replies = await pipeline.exec();
  if (replies === null) throw new Error("Connection is closed.");
  const failed = replies.find(([error]) => error !== null)?.[0];
  if (failed) throw failed;
  return new Map(
    functions.map((fn, index) => {
      const value = (offset: number): number => count(replies[index * commandsPerFunction + offset]?.[1]);
      const depth: QueueDepth = {
        ready: value(0) + value(1),
        scheduled: value(2),
        waiting: value(3),
        leased: value(4),
        deadLettered: value(5),
      };
      return [fn, since === undefined ? depth : { ...depth, recentlyDeadLettered: value(DEPTH_COMMANDS) }];
    }),
  );
}
