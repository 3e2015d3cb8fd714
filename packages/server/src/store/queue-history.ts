/**
 * What the history adds to a queue's depth: how long its oldest queued job has waited (one
 * index probe per function on (function, status, created_at)) and the mean queue wait of the
 * attempts started in the last hour (rollups).
 */
import { outcomeFigures } from "@upnext/core";
import type { Kysely } from "kysely";
import { oldestQueuedPerFunction } from "./job-queries.js";
import type { HistorySchema } from "./schema.js";
import { HOUR_MS, hourStart, rollupTotalsByFunction } from "./stats-queries.js";

export const QUEUE_WAIT_WINDOW_MS = HOUR_MS;

export interface QueueHistory {
  readonly oldestQueuedAt: number | null;
  readonly avgQueueWaitMs: number | null;
}

export async function queueHistory(
  db: Kysely<HistorySchema>,
  names: readonly string[],
  now: number,
): Promise<Map<string, QueueHistory>> {
  if (names.length === 0) return new Map();
  const [oldest, totals] = await Promise.all([
    oldestQueuedPerFunction(db, names),
    rollupTotalsByFunction(db, { from: hourStart(now - QUEUE_WAIT_WINDOW_MS), to: now, functions: names }),
  ]);
  return new Map(
    names.map((name) => {
      const total = totals.get(name);
      return [
        name,
        {
          oldestQueuedAt: oldest.get(name) ?? null,
          avgQueueWaitMs: total
            ? outcomeFigures(total.counts, total.durationMsTotal, total.queueWaitMsTotal).avgQueueWaitMs
            : null,
        },
      ];
    }),
  );
}
