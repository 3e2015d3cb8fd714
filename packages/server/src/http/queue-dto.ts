/** A function's queue as the REST contract shows it: Redis counts plus the history's wait figures. */
import type { QueueDepth } from "@upnext/core";
import type { FunctionQueueCounts } from "../registry/queue-depths.js";
import { emptyQueueCounts } from "../registry/queue-depths.js";
import type { QueueHistory } from "../store/queue-history.js";
import { isoTimeOrNull } from "../lib/iso-time.js";

export function toQueueDepth(
  name: string,
  counts: FunctionQueueCounts | undefined,
  history: QueueHistory | undefined,
  now: number,
): QueueDepth {
  const oldest = history?.oldestQueuedAt ?? null;
  return {
    function: name,
    ...emptyQueueCounts(),
    deadLetteredLastHour: 0,
    ...counts,
    oldestQueuedAt: isoTimeOrNull(oldest),
    oldestQueuedAgeMs: oldest === null ? null : Math.max(0, now - oldest),
    avgQueueWaitMs: history?.avgQueueWaitMs ?? null,
  };
}
