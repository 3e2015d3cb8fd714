/**
 * Jobs as the REST API shows them: list rows, the full detail, the tree timeline, events and
 * logs. Times are ISO-8601 UTC strings; JSON the job carried (input, result, metadata) is
 * returned as it was stored.
 */
import { z } from "zod";
import { FAILURE_REASONS, JOB_STATUSES } from "../job-status.js";
import { JOB_EVENT_TYPES, type JobEventType, errorInfoSchema } from "../status-events.js";
import { JOB_KINDS } from "../job.js";
import { isoTimeSchema, pageSchema } from "./page.js";

export const JOB_LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type JobLogLevel = (typeof JOB_LOG_LEVELS)[number];

const jobEventTypes = JOB_EVENT_TYPES as [JobEventType, ...JobEventType[]];

export const jobSummarySchema = z.object({
  id: z.string(),
  function: z.string(),
  kind: z.enum(JOB_KINDS),
  status: z.enum(JOB_STATUSES),
  failureReason: z.enum(FAILURE_REASONS).nullable(),
  attempt: z.number().int(),
  maxAttempts: z.number().int().nullable(),
  priority: z.number().int(),
  /** The parent job (a job submitted from inside another), or null. */
  parentId: z.string().nullable(),
  rootId: z.string(),
  workerId: z.string().nullable(),
  /** 0-1. */
  progress: z.number(),
  progressMessage: z.string().nullable(),
  errorMessage: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
  createdAt: isoTimeSchema,
  scheduledAt: isoTimeSchema.nullable(),
  startedAt: isoTimeSchema.nullable(),
  finishedAt: isoTimeSchema.nullable(),
  updatedAt: isoTimeSchema,
  queueWaitMs: z.number().nullable(),
  durationMs: z.number().nullable(),
});
export type JobSummary = z.infer<typeof jobSummarySchema>;

export const jobListSchema = pageSchema(jobSummarySchema);
export type JobList = z.infer<typeof jobListSchema>;

/** Another job named by this one (a DAG parent), as far as the history knows it. */
export const jobLinkSchema = z.object({
  id: z.string(),
  function: z.string(),
  status: z.enum(JOB_STATUSES),
});
export type JobLink = z.infer<typeof jobLinkSchema>;

export const jobDetailSchema = jobSummarySchema.extend({
  deliveries: z.number().int(),
  idempotencyKey: z.string().nullable(),
  schedule: z.string().nullable(),
  eventName: z.string().nullable(),
  origin: z.unknown().nullable(),
  input: z.unknown().nullable(),
  result: z.unknown().nullable(),
  /** The error of the last failed attempt (with its stack), or null. */
  error: errorInfoSchema.nullable(),
  metadata: z.record(z.string(), z.unknown()),
  /** The last checkpoint the job saved, or null. */
  checkpoint: z.object({ data: z.unknown(), at: isoTimeSchema.nullable() }).nullable(),
  /** DAG parents by id (the job ran after all of them). */
  dependsOn: z.array(z.string()),
  /** The DAG parents the history holds (a parent already deleted by retention is missing). */
  dagParents: z.array(jobLinkSchema),
  /** Jobs submitted from inside this one. */
  childrenCount: z.number().int().nonnegative(),
});
export type JobDetail = z.infer<typeof jobDetailSchema>;

export const jobTimelineSchema = pageSchema(jobSummarySchema).extend({
  rootId: z.string(),
  /** DAG parents of this page's jobs that belong to another tree. */
  externalParents: z.array(jobLinkSchema),
});
export type JobTimeline = z.infer<typeof jobTimelineSchema>;

export const jobEventRecordSchema = z.object({
  /** The status-stream entry id the event came from. */
  id: z.string(),
  jobId: z.string(),
  type: z.enum(jobEventTypes),
  attempt: z.number().int(),
  at: isoTimeSchema,
  data: z.unknown(),
});
export type JobEventRecord = z.infer<typeof jobEventRecordSchema>;

export const jobEventListSchema = pageSchema(jobEventRecordSchema);
export type JobEventList = z.infer<typeof jobEventListSchema>;

export const jobLogSchema = z.object({
  id: z.string(),
  attempt: z.number().int(),
  at: isoTimeSchema,
  level: z.enum(JOB_LOG_LEVELS),
  message: z.string(),
  fields: z.record(z.string(), z.unknown()),
});
export type JobLog = z.infer<typeof jobLogSchema>;

export const jobLogListSchema = pageSchema(jobLogSchema);
export type JobLogList = z.infer<typeof jobLogListSchema>;
