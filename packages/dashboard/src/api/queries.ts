/**
 * The queries of every page. Lists are cursor-paged infinite queries; every job row that comes
 * from the server passes through the live state (LiveCacheSync) so a response older than the
 * events already shown cannot move a row backwards. Polling is only the slow safety net.
 */
import {
  type InfiniteData,
  useQueryClient,
  useSuspenseInfiniteQuery,
  useSuspenseQuery,
} from "@tanstack/react-query";
import type {
  DashboardSummary,
  DeadLetterList,
  FailureReason,
  JobEventList,
  JobList,
  JobLogList,
  JobTimeline,
  JobTrends,
  TimeWindowName,
  WorkerList,
  WorkerSummary,
} from "@upnext/core";
import { useLive, useSafetyNetInterval } from "../live/live-context.js";
import { useSnapshotStream } from "../live/use-snapshot-stream.js";
import { api } from "./endpoints.js";
import { type JobFilters, normalizeJobFilters } from "./job-filters.js";
import { queryKeys } from "./query-keys.js";

export const JOBS_PAGE_SIZE = 50;
/** Tree pages are large: the timeline is virtualized and fetches the next page as it scrolls. */
export const TIMELINE_PAGE_SIZE = 500;

interface CursorPage {
  readonly page: { readonly nextCursor: string | null };
}

/** A cursor-paged list as an infinite query: each page asks for the rows after the last one's cursor. */
function useCursorPages<Page extends CursorPage>(
  queryKey: readonly unknown[],
  fetchPage: (cursor: string | undefined, signal: AbortSignal) => Promise<Page>,
  refetchInterval?: number,
) {
  return useSuspenseInfiniteQuery<Page, Error, InfiniteData<Page>, readonly unknown[], string | undefined>({
    queryKey,
    queryFn: ({ pageParam, signal }) => fetchPage(pageParam, signal),
    initialPageParam: undefined,
    getNextPageParam: (last) => last.page.nextCursor ?? undefined,
    ...(refetchInterval === undefined ? {} : { refetchInterval }),
  });
}

export function useJobsList(filters: JobFilters, limit = JOBS_PAGE_SIZE) {
  const { sync } = useLive();
  const interval = useSafetyNetInterval();
  const normalized = normalizeJobFilters(filters);
  return useCursorPages<JobList>(
    queryKeys.jobs.list(normalized, limit),
    async (cursor, signal) => {
      const page = await api.jobs(normalized, limit, cursor, { signal });
      return sync === undefined ? page : { ...page, items: sync.reconcileRows(page.items) };
    },
    interval,
  );
}

export function useJob(jobId: string) {
  const { sync } = useLive();
  const interval = useSafetyNetInterval();
  return useSuspenseQuery({
    queryKey: queryKeys.jobs.detail(jobId),
    queryFn: async ({ signal }) => {
      const detail = await api.job(jobId, { signal });
      return sync === undefined ? detail : sync.reconcileDetail(detail);
    },
    refetchInterval: interval,
  });
}

export function useTimeline(jobId: string) {
  const { sync } = useLive();
  return useCursorPages<JobTimeline>(queryKeys.jobs.timeline(jobId), async (cursor, signal) => {
    const page = await api.timeline(jobId, TIMELINE_PAGE_SIZE, cursor, { signal });
    return sync === undefined ? page : { ...page, items: sync.reconcileRows(page.items) };
  });
}

export function useJobLogs(jobId: string) {
  return useCursorPages<JobLogList>(queryKeys.jobs.logs(jobId), (cursor, signal) =>
    api.jobLogs(jobId, cursor, { signal }),
  );
}

export function useJobEvents(jobId: string) {
  return useCursorPages<JobEventList>(queryKeys.jobs.events(jobId), (cursor, signal) =>
    api.jobEvents(jobId, cursor, { signal }),
  );
}

export function useArtifacts(jobId: string) {
  return useSuspenseQuery({
    queryKey: queryKeys.jobs.artifacts(jobId),
    queryFn: ({ signal }) => api.artifacts(jobId, { signal }),
    refetchInterval: useSafetyNetInterval(),
  });
}

/** The overview's figures: fetched once, then replaced by every snapshot of the dashboard stream. */
export function useDashboardSummary(window: TimeWindowName) {
  useSnapshotStream<DashboardSummary>("/dashboard/stream", { window }, queryKeys.dashboard.summaryOf(window));
  return useSuspenseQuery({
    queryKey: queryKeys.dashboard.summaryOf(window),
    queryFn: ({ signal }) => api.dashboard(window, { signal }),
  });
}

/** Trends over a window: minute buckets for 15m/1h/6h, hours for 24h/7d (the server decides). */
export function useTrends(window: TimeWindowName, fn?: string) {
  useSnapshotStream<JobTrends>(
    "/jobs/trends/stream",
    { window, function: fn },
    queryKeys.stats.trends(window, fn),
  );
  return useSuspenseQuery({
    queryKey: queryKeys.stats.trends(window, fn),
    queryFn: ({ signal }) => api.trends(window, fn, { signal }),
  });
}

/** A function's figures over a window (the function page's tiles). */
export function useWindowStats(window: TimeWindowName, fn: string) {
  return useSuspenseQuery({
    queryKey: queryKeys.stats.window(window, fn),
    queryFn: ({ signal }) => api.stats(window, fn, { signal }),
    refetchInterval: useSafetyNetInterval(),
  });
}

export function useQueues() {
  return useSuspenseQuery({
    queryKey: queryKeys.queues.all,
    queryFn: ({ signal }) => api.queues({ signal }),
    refetchInterval: useSafetyNetInterval(),
  });
}

export function useFunctions() {
  return useSuspenseQuery({
    queryKey: queryKeys.functions.list,
    queryFn: ({ signal }) => api.functions({ signal }),
    refetchInterval: useSafetyNetInterval(),
  });
}

export function useFunction(name: string) {
  return useSuspenseQuery({
    queryKey: queryKeys.functions.detail(name),
    queryFn: ({ signal }) => api.function(name, { signal }),
    refetchInterval: useSafetyNetInterval(),
  });
}

interface WorkersSnapshot {
  readonly workers: WorkerSummary[];
  readonly total: number;
  readonly online: number;
}

/** The workers list, kept current by the workers stream's registry snapshots. */
export function useWorkers() {
  useSnapshotStream<WorkersSnapshot, WorkerList>(
    "/workers/stream",
    undefined,
    queryKeys.workers.list,
    (snapshot, previous) => ({
      items: snapshot.workers,
      total: snapshot.total,
      online: snapshot.online,
      page: previous?.page ?? {
        limit: snapshot.workers.length,
        nextCursor: null,
        prevCursor: null,
        next: null,
        prev: null,
      },
    }),
  );
  return useSuspenseQuery({
    queryKey: queryKeys.workers.list,
    queryFn: ({ signal }) => api.workers({ signal }),
  });
}

export function useWorker(workerId: string) {
  const client = useQueryClient();
  return useSuspenseQuery({
    queryKey: queryKeys.workers.detail(workerId),
    queryFn: ({ signal }) => api.worker(workerId, { signal }),
    refetchInterval: useSafetyNetInterval(),
    initialData: () =>
      client.getQueryData<WorkerList>(queryKeys.workers.list)?.items.find((worker) => worker.id === workerId),
  });
}

export function useSchedules() {
  return useSuspenseQuery({
    queryKey: queryKeys.schedules.list,
    queryFn: ({ signal }) => api.schedules({ signal }),
    refetchInterval: useSafetyNetInterval(),
  });
}

export function useDeadLetters(fn: string | undefined, reason: FailureReason | undefined) {
  return useCursorPages<DeadLetterList>(
    [...queryKeys.deadLetters.list(fn), reason ?? null],
    (cursor, signal) =>
      api.deadLetters(
        { ...(fn === undefined ? {} : { function: fn }), ...(reason === undefined ? {} : { reason }) },
        cursor,
        { signal },
      ),
    useSafetyNetInterval(),
  );
}
