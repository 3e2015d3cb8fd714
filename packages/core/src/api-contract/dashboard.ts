/** The overview page in one request: recent figures, capacity, and the runbook panels. */
import { z } from "zod";
import { isoTimeSchema, listLinkSchema, timeWindowSchema } from "./page.js";
import { queueCountsSchema } from "./queues.js";
import { outcomeFiguresSchema } from "./stats.js";
import { timeWindowNameSchema } from "./time-windows.js";

export const periodSummarySchema = outcomeFiguresSchema.extend({
  window: timeWindowSchema,
  /**
   * Where the per-minute rates start: the window's start, or the first bucket with data in it
   * when that is later (a service younger than the window), so a rate is never averaged over
   * time nothing ran.
   */
  rateFrom: isoTimeSchema,
  submittedPerMinute: z.number().nonnegative(),
  /** complete + failed + cancelled, per minute from `rateFrom` to the window's end. */
  finishedPerMinute: z.number().nonnegative(),
});
export type PeriodSummary = z.infer<typeof periodSummarySchema>;

export const failingFunctionSchema = z.object({
  function: z.string(),
  failed: z.number().int(),
  complete: z.number().int(),
  successRate: z.number().nullable(),
  link: listLinkSchema,
});

export const stuckJobSchema = z.object({
  id: z.string(),
  function: z.string(),
  workerId: z.string().nullable(),
  startedAt: isoTimeSchema,
  activeForMs: z.number().nonnegative(),
  /** The function's timeout the job has outlived. */
  timeoutMs: z.number().int(),
  link: listLinkSchema,
});

export const oldestQueuedSchema = z.object({
  id: z.string(),
  function: z.string(),
  createdAt: isoTimeSchema,
  ageMs: z.number().nonnegative(),
  link: listLinkSchema,
});

export const growingDeadLettersSchema = z.object({
  function: z.string(),
  deadLettered: z.number().int(),
  addedLastHour: z.number().int(),
  link: listLinkSchema,
});

export const dashboardSummarySchema = z.object({
  generatedAt: isoTimeSchema,
  /** The window asked for (`?window=`, default 1h): its figures are `period`, the failing functions are over it. */
  windowName: timeWindowNameSchema,
  period: periodSummarySchema,
  lastHour: periodSummarySchema,
  last24h: periodSummarySchema,
  workers: z.object({ total: z.number().int(), online: z.number().int() }),
  queue: queueCountsSchema,
  runbook: z.object({
    /** Functions with failures in the window, lowest success rate first. */
    failingFunctions: z.array(failingFunctionSchema),
    /** Jobs active for longer than their function's timeout, longest first. */
    stuckJobs: z.array(stuckJobSchema),
    /** The jobs queued the longest. */
    oldestQueued: z.array(oldestQueuedSchema),
    /** Functions whose dead-letter set gained entries in the last hour, most first. */
    growingDeadLetters: z.array(growingDeadLettersSchema),
  }),
});
export type DashboardSummary = z.infer<typeof dashboardSummarySchema>;
