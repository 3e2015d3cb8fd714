/**
 * Queue depth per function in the REST contract's terms: upnext's reading of the queue's Redis
 * keys (one pipeline of counts, no SCAN; the worker's metrics count the same way), with leased
 * jobs shown as active and the dead letters of the last hour beside the total.
 */
import { type QueueCounts, functionKeys } from "@upnext/core";
import type { Redis } from "ioredis";
import { readQueueDepths } from "upnext";

/** "Growing" dead letters: entries added within this window (the set is scored by time of death). */
export const DEAD_LETTER_GROWTH_WINDOW_MS = 3_600_000;

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
export async function readQueueCounts(
  redis: Redis,
  namespace: string,
  names: readonly string[],
  now: number,
): Promise<Map<string, FunctionQueueCounts>> {
  const depths = await readQueueDepths(redis, (name) => functionKeys(namespace, name), names, {
    deadLetteredSince: now - DEAD_LETTER_GROWTH_WINDOW_MS,
  });
  return new Map(
    [...depths].map(([name, depth]) => [
      name,
      {
        ready: depth.ready,
        scheduled: depth.scheduled,
        waiting: depth.waiting,
        active: depth.leased,
        deadLettered: depth.deadLettered,
        deadLetteredLastHour: depth.recentlyDeadLettered,
      },
    ]),
  );
}
