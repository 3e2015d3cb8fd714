/** Queue depth per function, read from Redis, with the wait figures from the history. */
import { z } from "zod";
import { isoTimeSchema, pageSchema } from "./page.js";

const count = z.number().int().nonnegative();

export const queueCountsSchema = z.object({
  /** Waiting to be claimed (the stream and the priority set). */
  ready: count,
  /** Delayed, retrying or put off by a rate limit. */
  scheduled: count,
  /** DAG children waiting for their parents. */
  waiting: count,
  /** Claimed by a worker (leases): running, prefetched or finishing. */
  active: count,
  deadLettered: count,
});
export type QueueCounts = z.infer<typeof queueCountsSchema>;

export const queueDepthSchema = queueCountsSchema.extend({
  function: z.string(),
  /** Dead letters added in the last hour. */
  deadLetteredLastHour: count,
  /** Creation time of the oldest job the history shows as queued, or null. */
  oldestQueuedAt: isoTimeSchema.nullable(),
  oldestQueuedAgeMs: z.number().nonnegative().nullable(),
  /** Mean queue wait of the attempts started in the last hour, or null. */
  avgQueueWaitMs: z.number().nonnegative().nullable(),
});
export type QueueDepth = z.infer<typeof queueDepthSchema>;

export const queueListSchema = pageSchema(queueDepthSchema).extend({
  /** Summed over every function, not just this page. */
  totals: queueCountsSchema,
});
export type QueueList = z.infer<typeof queueListSchema>;
