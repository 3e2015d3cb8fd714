/** Cron schedules as the REST API shows and takes them (the schedules live in Redis). */
import { z } from "zod";
import { JOB_STATUSES } from "../job-status.js";
import { isoTimeSchema, pageSchema } from "./page.js";

export const MISSED_RUN_CHOICES = ["skip", "latest", "all"] as const;
export const OVERLAP_CHOICES = ["allow", "skip", "queue-one"] as const;

export const scheduleSchema = z.object({
  name: z.string(),
  /** The task each run is a job of. */
  task: z.string(),
  cron: z.string(),
  timezone: z.string(),
  missedRuns: z.enum(MISSED_RUN_CHOICES),
  /** With missedRuns "all": how far back missed slots still run. */
  catchUpWindowMs: z.number().int(),
  overlap: z.enum(OVERLAP_CHOICES),
  input: z.unknown(),
  paused: z.boolean(),
  pausedAt: isoTimeSchema.nullable(),
  resumedAt: isoTimeSchema.nullable(),
  /** "code": defined by a worker's `worker.cron()`; "api": by the API, the SDK or the CLI. */
  source: z.enum(["code", "api"]),
  /** The next slot after now (shown even while paused). */
  nextSlot: isoTimeSchema.nullable(),
  lastScheduledSlot: isoTimeSchema.nullable(),
  lastCompletedSlot: isoTimeSchema.nullable(),
  lastRun: z
    .object({
      id: z.string(),
      slot: isoTimeSchema,
      status: z.enum([...JOB_STATUSES, "missing"]),
    })
    .nullable(),
  /** Runs the schedule created (triggers not counted). */
  runs: z.number().int(),
  /** Slots that got no run (missed-run or overlap policy). */
  skippedSlots: z.number().int(),
  createdAt: isoTimeSchema,
  updatedAt: isoTimeSchema,
});
export type Schedule = z.infer<typeof scheduleSchema>;

export const scheduleListSchema = pageSchema(scheduleSchema);
export type ScheduleList = z.infer<typeof scheduleListSchema>;

/** The body of `PUT /api/v1/schedules/:name`: the whole definition (settings not given get their defaults). */
export const scheduleUpsertSchema = z.strictObject({
  /** Default: the schedule's name. */
  task: z.string().optional(),
  cron: z.string(),
  timezone: z.string().optional(),
  missedRuns: z.enum(MISSED_RUN_CHOICES).optional(),
  /** A duration ("2h", "30m") or milliseconds; only with missedRuns "all". */
  catchUpWindow: z.union([z.string(), z.number()]).optional(),
  overlap: z.enum(OVERLAP_CHOICES).optional(),
  /** The input of every run (JSON). */
  input: z.unknown().optional(),
});
export type ScheduleUpsert = z.infer<typeof scheduleUpsertSchema>;

export const scheduleTriggerResultSchema = z.object({
  schedule: z.string(),
  job: z.object({ id: z.string(), function: z.string(), href: z.string() }),
});
export type ScheduleTriggerResult = z.infer<typeof scheduleTriggerResultSchema>;
