/**
 * Bulk actions: cancel or retry many jobs, replay or purge many dead letters, in one request
 * (the server works through them in batches). A request names the jobs (`ids`) or a filter
 * (`filter`, "all matching"), which must be confirmed with the count the server reported.
 */
import { z } from "zod";

export const BULK_ACTIONS = ["cancel", "retry", "replay", "purge"] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Most ids one request may name; "all matching" goes up to MAX_BULK_MATCHING. */
export const MAX_BULK_IDS = 1_000;
/** Most jobs or entries one "all matching" request acts on; narrow the filter beyond that. */
export const MAX_BULK_MATCHING = 10_000;

/** An operation id chosen by the caller, to follow the progress while the request runs. */
export const bulkOperationIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{8,64}$/, { error: "an operation id is 8-64 letters, digits, - or _" });

export const bulkItemErrorSchema = z.object({
  id: z.string(),
  /** The error code the single action would have answered (conflict, not_found, ...). */
  code: z.string(),
  message: z.string(),
});

export const bulkActionResultSchema = z.object({
  action: z.enum(BULK_ACTIONS),
  /** Jobs or entries the request covered: the ids given, or those matching the filter at the start. */
  matched: z.number().int().nonnegative(),
  /** Acted on. */
  succeeded: z.number().int().nonnegative(),
  /** Left alone because their state no longer allowed it (finished meanwhile, replayed before, gone). */
  skipped: z.number().int().nonnegative(),
  /** The first 20 of the skipped, with why. */
  errors: z.array(bulkItemErrorSchema),
  /** For a retry or replay: the new job of each original that succeeded (the first 1,000). */
  created: z.array(z.object({ replayOf: z.string(), jobId: z.string() })),
});
export type BulkActionResult = z.infer<typeof bulkActionResultSchema>;

export const bulkProgressSchema = z.object({
  operationId: z.string(),
  action: z.enum(BULK_ACTIONS),
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  finished: z.boolean(),
});
export type BulkProgress = z.infer<typeof bulkProgressSchema>;
