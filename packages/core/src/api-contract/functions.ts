/** Functions (tasks) as the REST API shows them: the registry in Redis plus figures from the history. */
import { z } from "zod";
import { isoTimeSchema, pageSchema, timeWindowSchema } from "./page.js";
import { queueDepthSchema } from "./queues.js";
import { outcomeFiguresSchema } from "./stats.js";

export const functionMetricsSchema = outcomeFiguresSchema.extend({
  window: timeWindowSchema,
  /** 95th percentile run time of a sample of the most recent completed jobs, or null. */
  p95DurationMs: z.number().nonnegative().nullable(),
  /** How many completed jobs the p95 was taken over (at most the sample size). */
  p95SampleSize: z.number().int().nonnegative(),
});
export type FunctionMetrics = z.infer<typeof functionMetricsSchema>;

export const functionSummarySchema = z.object({
  name: z.string(),
  /** As the worker registered it; null for a function only ever enqueued to. */
  kind: z.string().nullable(),
  /** A worker published its options within the registry's lifetime (30 days). */
  registered: z.boolean(),
  paused: z.boolean(),
  timeoutMs: z.number().int().nullable(),
  /** When a worker last published the function's options. */
  updatedAt: isoTimeSchema.nullable(),
  metrics: functionMetricsSchema,
});
export type FunctionSummary = z.infer<typeof functionSummarySchema>;

export const functionListSchema = pageSchema(functionSummarySchema);
export type FunctionList = z.infer<typeof functionListSchema>;

export const functionConfigSchema = z.object({
  concurrency: z.number().int().nullable(),
  routingGroup: z.string().nullable(),
  groupMax: z.number().int().nullable(),
  rateLimit: z
    .object({ limit: z.number().int(), windowMs: z.number().int(), onEnqueue: z.string().nullable() })
    .nullable(),
  /** The task's options as its worker published them (retries, backoff, timeout...). */
  options: z.record(z.string(), z.unknown()),
});
export type FunctionConfig = z.infer<typeof functionConfigSchema>;

export const functionDetailSchema = functionSummarySchema.extend({
  config: functionConfigSchema,
  queue: queueDepthSchema,
});
export type FunctionDetail = z.infer<typeof functionDetailSchema>;
