/**
 * Every query key the dashboard uses, under explicit namespaces. The live merge finds the
 * queries it may update by these shapes (never by guessing from a key's length or types), so a
 * new query kind is invisible to it until it is added here and to live/live-cache-sync.ts.
 */
import type { TimeWindowName } from "@upnext/core";
import type { JobFilters } from "./job-filters.js";

export const queryKeys = {
  jobs: {
    all: ["jobs"] as const,
    lists: ["jobs", "list"] as const,
    list: (filters: JobFilters, limit: number) => ["jobs", "list", filters, limit] as const,
    details: ["jobs", "detail"] as const,
    detail: (id: string) => ["jobs", "detail", id] as const,
    timelines: ["jobs", "timeline"] as const,
    timeline: (id: string) => ["jobs", "timeline", id] as const,
    events: (id: string) => ["jobs", "events", id] as const,
    logs: (id: string) => ["jobs", "logs", id] as const,
    artifacts: (id: string) => ["jobs", "artifacts", id] as const,
  },
  stats: {
    all: ["stats"] as const,
    trends: (window: TimeWindowName, fn?: string) => ["stats", "trends", window, fn ?? null] as const,
    window: (window: TimeWindowName, fn?: string) => ["stats", "window", window, fn ?? null] as const,
    jobStats: (params: Readonly<Record<string, string>>) => ["stats", "jobs", params] as const,
  },
  dashboard: {
    all: ["dashboard"] as const,
    /** Every window's summary (a prefix, for invalidation). */
    summary: ["dashboard", "summary"] as const,
    summaryOf: (window: TimeWindowName) => ["dashboard", "summary", window] as const,
  },
  queues: {
    all: ["queues"] as const,
  },
  functions: {
    all: ["functions"] as const,
    list: ["functions", "list"] as const,
    detail: (name: string) => ["functions", "detail", name] as const,
  },
  workers: {
    all: ["workers"] as const,
    list: ["workers", "list"] as const,
    detail: (id: string) => ["workers", "detail", id] as const,
  },
  schedules: {
    all: ["schedules"] as const,
    list: ["schedules", "list"] as const,
  },
  deadLetters: {
    all: ["dead-letters"] as const,
    list: (fn: string | undefined) => ["dead-letters", "list", fn ?? null] as const,
    detail: (jobId: string) => ["dead-letters", "detail", jobId] as const,
  },
  artifacts: {
    content: (id: string) => ["artifacts", "content", id] as const,
  },
  activity: {
    feed: ["activity", "feed"] as const,
  },
  apis: {
    all: ["apis"] as const,
    list: (hours: number) => ["apis", "list", hours] as const,
    route: (api: string, method: string, route: string) => ["apis", "route", api, method, route] as const,
    requests: (api: string | null) => ["apis", "requests", api] as const,
  },
} as const;
