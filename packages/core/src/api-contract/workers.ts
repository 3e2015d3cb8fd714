/** Workers as the REST API shows them, from the registry the workers keep in Redis. */
import { z } from "zod";
import { isoTimeSchema, pageSchema } from "./page.js";

export const workerSchema = z.object({
  id: z.string(),
  name: z.string(),
  host: z.string(),
  pid: z.number().int(),
  functions: z.array(z.string()),
  concurrency: z.number().int(),
  /** Jobs running now. */
  active: z.number().int(),
  /** Jobs claimed (running or prefetched). */
  held: z.number().int(),
  /** Jobs finished since the worker started. */
  completed: z.number().int(),
  failed: z.number().int(),
  startedAt: isoTimeSchema,
  lastSeenAt: isoTimeSchema,
  /** The last heartbeat is younger than three heartbeat intervals. */
  online: z.boolean(),
});
export type WorkerSummary = z.infer<typeof workerSchema>;

export const workerListSchema = pageSchema(workerSchema).extend({
  /** Over every registered worker, not just this page. */
  total: z.number().int(),
  online: z.number().int(),
});
export type WorkerList = z.infer<typeof workerListSchema>;
