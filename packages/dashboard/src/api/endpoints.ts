/**
 * The REST calls the dashboard makes, typed with the server's contracts from @upnext/core (types
 * only: the browser does not re-validate what the server validated).
 */
import type {
  ArtifactInfo,
  BulkActionResult,
  BulkProgress,
  CancelJobResult,
  DashboardSummary,
  DeadLetter,
  DeadLetterList,
  DeadLetterPurgeResponse,
  FailureReason,
  FunctionDetail,
  FunctionList,
  FunctionQueueState,
  JobDetail,
  JobEventList,
  JobList,
  JobLogList,
  JobStats,
  JobTimeline,
  JobTrends,
  PageInfo,
  QueueList,
  ReplayResult,
  Schedule,
  ScheduleList,
  ScheduleTriggerResult,
  TimeWindowName,
  WorkerList,
  WorkerSummary,
} from "@upnext/core";
import { type JobFilters, jobFiltersToParams } from "./job-filters.js";
import { type RequestOptions, apiGet, apiSend, apiUrl } from "./http.js";

/** A bulk action's request may take a while (the server works in batches): minutes, not seconds. */
const BULK_TIMEOUT_MS = 10 * 60_000;

export type BulkPath =
  "/jobs/bulk/cancel" | "/jobs/bulk/retry" | "/dead-letters/bulk/replay" | "/dead-letters/bulk/purge";

export interface ArtifactPage {
  readonly items: ArtifactInfo[];
  readonly page: PageInfo;
}

const id = encodeURIComponent;

export const api = {
  jobs: (filters: JobFilters, limit: number, cursor: string | undefined, options?: RequestOptions) =>
    apiGet<JobList>("/jobs", { ...jobFiltersToParams(filters), limit, cursor }, options),
  job: (jobId: string, options?: RequestOptions) =>
    apiGet<JobDetail>(`/jobs/${id(jobId)}`, undefined, options),
  timeline: (jobId: string, limit: number, cursor: string | undefined, options?: RequestOptions) =>
    apiGet<JobTimeline>(`/jobs/${id(jobId)}/timeline`, { limit, cursor }, options),
  jobEvents: (jobId: string, cursor: string | undefined, options?: RequestOptions) =>
    apiGet<JobEventList>(`/jobs/${id(jobId)}/events`, { limit: 200, cursor }, options),
  jobLogs: (jobId: string, cursor: string | undefined, options?: RequestOptions) =>
    apiGet<JobLogList>(`/jobs/${id(jobId)}/logs`, { limit: 200, cursor }, options),
  cancelJob: (jobId: string) => apiSend<CancelJobResult>("POST", `/jobs/${id(jobId)}/cancel`, {}),
  retryJob: (jobId: string) => apiSend<ReplayResult>("POST", `/jobs/${id(jobId)}/retry`, {}),
  artifacts: (jobId: string, options?: RequestOptions) =>
    apiGet<ArtifactPage>(`/jobs/${id(jobId)}/artifacts`, { limit: 200 }, options),
  artifactContentUrl: (artifactId: string, download = false) =>
    apiUrl(`/artifacts/${id(artifactId)}/content`, download ? { download: "true" } : undefined),
  trends: (window: TimeWindowName, fn: string | undefined, options?: RequestOptions) =>
    apiGet<JobTrends>("/jobs/trends", { window, function: fn }, options),
  stats: (window: TimeWindowName, fn: string | undefined, options?: RequestOptions) =>
    apiGet<JobStats>("/jobs/stats", { window, function: fn }, options),
  dashboard: (window: TimeWindowName, options?: RequestOptions) =>
    apiGet<DashboardSummary>("/dashboard/summary", { window }, options),
  queues: (options?: RequestOptions) => apiGet<QueueList>("/queues", { limit: 200 }, options),
  functions: (options?: RequestOptions) => apiGet<FunctionList>("/functions", { limit: 500 }, options),
  function: (name: string, options?: RequestOptions) =>
    apiGet<FunctionDetail>(`/functions/${id(name)}`, undefined, options),
  setFunctionPaused: (name: string, paused: boolean) =>
    apiSend<FunctionQueueState>("POST", `/functions/${id(name)}/${paused ? "pause" : "resume"}`),
  workers: (options?: RequestOptions) => apiGet<WorkerList>("/workers", { limit: 500 }, options),
  worker: (workerId: string, options?: RequestOptions) =>
    apiGet<WorkerSummary>(`/workers/${id(workerId)}`, undefined, options),
  schedules: (options?: RequestOptions) => apiGet<ScheduleList>("/schedules", { limit: 500 }, options),
  setSchedulePaused: (name: string, paused: boolean) =>
    apiSend<Schedule>("POST", `/schedules/${id(name)}/${paused ? "pause" : "resume"}`),
  triggerSchedule: (name: string) => apiSend<ScheduleTriggerResult>("POST", `/schedules/${id(name)}/trigger`),
  removeSchedule: (name: string) => apiSend<unknown>("DELETE", `/schedules/${id(name)}`),
  bulk: (path: BulkPath, body: Record<string, unknown>) =>
    apiSend<BulkActionResult>("POST", path, body, undefined, { timeoutMs: BULK_TIMEOUT_MS }),
  bulkProgress: (operationId: string, options?: RequestOptions) =>
    apiGet<BulkProgress>(`/bulk-operations/${id(operationId)}`, undefined, options),
  deadLetters: (
    filters: { function?: string; reason?: FailureReason },
    cursor: string | undefined,
    options?: RequestOptions,
  ) => apiGet<DeadLetterList>("/dead-letters", { ...filters, limit: 100, cursor }, options),
  deadLetter: (jobId: string, options?: RequestOptions) =>
    apiGet<DeadLetter>(`/dead-letters/${id(jobId)}`, undefined, options),
  replayDeadLetter: (jobId: string, force: boolean) =>
    apiSend<ReplayResult>("POST", `/dead-letters/${id(jobId)}/replay`, { force }),
  purgeDeadLetters: (scope: { function?: string; all?: true }, confirm?: number) =>
    apiSend<DeadLetterPurgeResponse>(
      "POST",
      "/dead-letters/purge",
      confirm === undefined ? scope : { ...scope, confirm },
    ),
};
