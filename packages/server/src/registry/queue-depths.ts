/**
 * Queue depth per function straight from the queue's Redis keys, in ONE pipeline of counts
 * (XLEN/ZCARD/ZCOUNT, no SCAN): ready (the stream, whose entries are deleted when claimed, plus
 * the priority set), scheduled, waiting for DAG parents, active (leases) and dead-lettered.
 */
import { type QueueCounts, functionKeys } from "@upnext/core";
import type { Redis } from "ioredis";
import { asCount, pipelineResults } from "./redis-replies.js";

/** "Growing" dead letters: entries added within this window (the set is scored by time of death). */
export const DEAD_LETTER_GROWTH_WINDOW_MS = 3_600_000;
const COMMANDS_PER_FUNCTION = 7;

export interface FunctionQueueCounts extends QueueCounts {
  readonly deadLetteredLastHour: number;
}

export function emptyQueueCounts(): QueueCounts {
  return { ready: 0, scheduled: 0, waiting: 0, active: 0, deadLettered: 0 };
}

export function sumQueueCounts(all: Iterable<QueueCounts>): QueueCounts {
  const total = emptyQueueCounts();
  for (const counts of all) {
    total.ready += counts.ready;
    total.scheduled += counts.scheduled;
    total.waiting += counts.waiting;
    total.active += counts.active;
    total.deadLettered += counts.deadLettered;
  }
  return total;
}

/** Counts for each of these (valid) function names, in one round trip. */
export async function readQueueDepths(
  redis: Redis,
  namespace: string,
  names: readonly string[],
  now: number,
): Promise<Map<string, FunctionQueueCounts>> {
  if (names.length === 0) return new Map();
  const pipeline = redis.pipeline();
  for (const name of names) {
    const keys = functionKeys(namespace, name);
    pipeline
      .xlen(keys.stream)
      .zcard(keys.priority)
      .zcard(keys.scheduled)
      .zcard(keys.waiting)
      .zcard(keys.leases)
      .zcard(keys.deadLetter)
      .zcount(keys.deadLetter, now - DEAD_LETTER_GROWTH_WINDOW_MS, "+inf");
  }
  const results = pipelineResults(await pipeline.exec());
  return new Map(
    names.map((name, index) => {
      const value = (offset: number): number => asCount(results[index * COMMANDS_PER_FUNCTION + offset]);
      return [
        name,
        {
          ready: value(0) + value(1),
          scheduled: value(2),
          waiting: value(3),
          active: value(4),
          deadLettered: value(5),
          deadLetteredLastHour: value(6),
        },
      ];
    }),
  );
}
