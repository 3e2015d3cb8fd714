/** Dead-lettered jobs (failed for good) as the REST API shows them; they live in Redis. */
import { z } from "zod";
import { FAILURE_REASONS } from "../job-status.js";
import { errorInfoSchema } from "../status-events.js";
import { isoTimeSchema, pageSchema } from "./page.js";

export const deadLetterSchema = z.object({
  jobId: z.string(),
  function: z.string(),
  reason: z.enum(FAILURE_REASONS),
  /** What the last attempt threw (for `lost`, why the lease was given up). */
  error: errorInfoSchema.nullable(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  input: z.unknown(),
  failedAt: isoTimeSchema,
  createdAt: isoTimeSchema,
  tags: z.record(z.string(), z.string()),
  metadata: z.record(z.string(), z.unknown()),
  origin: z.unknown().nullable(),
  /** The latest replay's job id, when it was replayed. */
  replayedAs: z.string().nullable(),
  replayedAt: isoTimeSchema.nullable(),
  replays: z.number().int(),
  /** The job in the history API. */
  href: z.string(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

export const deadLetterListSchema = pageSchema(deadLetterSchema);
export type DeadLetterList = z.infer<typeof deadLetterListSchema>;

export const deadLetterPurgeResponseSchema = z.object({
  /** Entries that matched when the purge started. */
  matched: z.number().int(),
  purged: z.number().int(),
});
export type DeadLetterPurgeResponse = z.infer<typeof deadLetterPurgeResponseSchema>;
