/**
 * The bridge from the job event stream to the TanStack Query cache. Events are batched (one
 * cache write per query per flush, however many events arrived), folded into per-job live state,
 * and merged into every cached jobs list, timeline, detail, event list and log list they
 * concern. Figures that only the server can compute (stats, queues, functions) are invalidated,
 * throttled. A reconnect or a `reset` from the server resyncs: every query is invalidated, so
 * whatever the stream may have missed is fetched again, while the live state still guards
 * against a response older than the events already shown.
 */
import type { JobDetail, JobEvent, JobEventRecord, JobLog, JobSummary } from "@upnext/core";
import type { QueryClient, QueryKey } from "@tanstack/react-query";
import type { JobFilters } from "../api/job-filters.js";
import { type ActivityEntry, ActivityFeed } from "./activity-feed.js";
import {
  type InfinitePages,
  type Paged,
  appendRecords,
  eventRecordOf,
  logRecordOf,
  mergeIntoDetail,
  mergeIntoJobList,
  mergeIntoTimeline,
} from "./job-cache-merge.js";
import { isTerminal } from "@upnext/core/rules";
import { reconcileDetail, reconcileRow } from "./job-row-merge.js";
import { type LiveJobState, LiveJobStates, statusOfEvent } from "./live-job-state.js";
import { RecentIds } from "./recent-ids.js";

/** Events arriving within this window are applied together. */
export const FLUSH_DELAY_MS = 100;
/** A list, detail or figure is refetched at most this often because of live events. */
export const REFETCH_THROTTLE_MS = 2_000;
/** Server-computed figures (stats, queues, functions) are refreshed at most this often. */
export const FIGURES_THROTTLE_MS = 5_000;
/**
 * After a job ends, its open detail is refetched this much later, to show what only the history
 * stores (the result, the error's stack) once the server has ingested the end.
 */
export const DETAIL_SETTLE_DELAY_MS = 1_500;
const RECENT_IDS_MAX = 5_000;

/** Queries of these namespaces are refreshed (throttled) when jobs change state. */
const FIGURE_NAMESPACES = ["functions", "queues", "stats"] as const;

export interface LiveCacheSyncOptions {
  readonly now?: () => number;
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (handle: unknown) => void;
}

interface Received {
  readonly streamId: string;
  readonly event: JobEvent;
}

type JobListKey = readonly ["jobs", "list", JobFilters, number];

export class LiveCacheSync {
  readonly feed = new ActivityFeed();
  private readonly states = new LiveJobStates();
  private readonly seen = new RecentIds(RECENT_IDS_MAX);
  private pending: Received[] = [];
  private flushHandle: unknown;
  private readonly timers = new Map<string, unknown>();
  private readonly lastRun = new Map<string, number>();
  private readonly now: () => number;
  private readonly setTimer: (run: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(
    private readonly client: QueryClient,
    options: LiveCacheSyncOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
    this.clearTimer =
      options.clearTimer ??
      ((handle) => {
        clearTimeout(handle as ReturnType<typeof setTimeout>);
      });
  }

  /** Queues one event; repeats of a stream id are dropped. */
  receive(streamId: string, event: JobEvent): void {
    if (!this.seen.add(streamId)) return;
    this.pending.push({ streamId, event });
    this.flushHandle ??= this.setTimer(() => {
      this.flush();
    }, FLUSH_DELAY_MS);
  }

  /** Applies everything queued now (the timer calls it; tests call it directly). */
  flush(): void {
    if (this.flushHandle !== undefined) this.clearTimer(this.flushHandle);
    this.flushHandle = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const now = this.now();
    const changed = new Map<string, LiveJobState>();
    const records = new Map<string, JobEventRecord[]>();
    const logs = new Map<string, JobLog[]>();
    const ended = new Set<string>();
    let statusChanged = false;
    for (const { streamId, event } of batch) {
      changed.set(event.jobId, this.states.apply(event, now));
      push(records, event.jobId, eventRecordOf(streamId, event));
      if (event.type === "log") push(logs, event.jobId, logRecordOf(streamId, event));
      const status = statusOfEvent(event);
      if (status !== undefined) {
        statusChanged = true;
        if (isTerminal(status)) ended.add(event.jobId);
      }
    }
    const states = [...changed.values()];
    this.mergeLists(states);
    this.mergeTimelines(states);
    this.mergeDetails(changed, ended);
    this.appendTo("events", records);
    this.appendTo("logs", logs);
    if (statusChanged) {
      for (const namespace of FIGURE_NAMESPACES) this.invalidateSoon([namespace], FIGURES_THROTTLE_MS);
    }
    this.feed.push(batch.map((entry): ActivityEntry => entry));
  }

  /** The stream may have missed events (a reconnect, a reset, Redis back after an outage). */
  resync(): void {
    void this.client.invalidateQueries({ predicate: (query) => query.queryKey[0] !== "artifacts" });
  }

  /** A fetched page of rows, corrected by what the stream already showed (call in queryFns). */
  reconcileRows<T extends JobSummary>(rows: readonly T[]): T[] {
    return rows.map((row) => {
      const state = this.states.get(row.id);
      return state === undefined ? row : reconcileRow(row, state);
    });
  }

  reconcileDetail(detail: JobDetail): JobDetail {
    const state = this.states.get(detail.id);
    return state === undefined ? detail : reconcileDetail(detail, state);
  }

  stop(): void {
    if (this.flushHandle !== undefined) this.clearTimer(this.flushHandle);
    this.flushHandle = undefined;
    for (const handle of this.timers.values()) this.clearTimer(handle);
    this.timers.clear();
    this.pending = [];
  }

  private mergeLists(states: readonly LiveJobState[]): void {
    for (const query of this.client.getQueryCache().findAll({ queryKey: ["jobs", "list"] })) {
      const data = query.state.data as InfinitePages<Paged<JobSummary>> | undefined;
      if (data === undefined) continue;
      const [, , filters, limit] = query.queryKey as unknown as JobListKey;
      const result = mergeIntoJobList(data, filters, states, limit);
      if (result.data !== data) this.client.setQueryData(query.queryKey, result.data);
      if (result.refetch) this.invalidateSoon(query.queryKey, REFETCH_THROTTLE_MS, true);
    }
  }

  private mergeTimelines(states: readonly LiveJobState[]): void {
    for (const query of this.client.getQueryCache().findAll({ queryKey: ["jobs", "timeline"] })) {
      const data = query.state.data as InfinitePages<Paged<JobSummary> & { rootId: string }> | undefined;
      if (data === undefined) continue;
      const next = mergeIntoTimeline(data, states);
      if (next !== data) this.client.setQueryData(query.queryKey, next);
    }
  }

  private mergeDetails(changed: ReadonlyMap<string, LiveJobState>, ended: ReadonlySet<string>): void {
    for (const query of this.client.getQueryCache().findAll({ queryKey: ["jobs", "detail"] })) {
      const detail = query.state.data as JobDetail | undefined;
      if (detail === undefined) continue;
      const state = changed.get(detail.id);
      if (state === undefined) continue;
      const next = mergeIntoDetail(detail, state);
      if (next !== detail) this.client.setQueryData(query.queryKey, next);
      if (ended.has(detail.id)) this.invalidateSoon(query.queryKey, DETAIL_SETTLE_DELAY_MS, true, true);
    }
  }

  private appendTo<T extends { readonly id: string }>(
    kind: "events" | "logs",
    byJob: ReadonlyMap<string, T[]>,
  ): void {
    if (byJob.size === 0) return;
    for (const query of this.client.getQueryCache().findAll({ queryKey: ["jobs", kind] })) {
      const jobId = query.queryKey[2];
      if (typeof jobId !== "string") continue;
      const fresh = byJob.get(jobId);
      const data = query.state.data as InfinitePages<Paged<T>> | undefined;
      if (fresh === undefined || data === undefined) continue;
      const next = appendRecords(data, fresh);
      if (next !== data) this.client.setQueryData(query.queryKey, next);
    }
  }

  /**
   * Invalidates a query (or a namespace) at most once per `throttleMs`: the first call is
   * served at the end of the window that began with the previous run (or after `delayFirst`).
   */
  private invalidateSoon(queryKey: QueryKey, throttleMs: number, exact = false, delayFirst = false): void {
    const id = JSON.stringify(queryKey);
    if (this.timers.has(id)) return;
    const last = this.lastRun.get(id);
    const now = this.now();
    const wait = delayFirst ? throttleMs : last === undefined ? 0 : Math.max(0, last + throttleMs - now);
    this.timers.set(
      id,
      this.setTimer(() => {
        this.timers.delete(id);
        this.lastRun.set(id, this.now());
        void this.client.invalidateQueries({ queryKey, exact });
      }, wait),
    );
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
