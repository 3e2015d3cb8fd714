/** REST rows (GET /jobs items) for the tests. */
import type { JobStatus, JobSummary, PageInfo } from "@upnext/core";
import type { InfinitePages, Paged } from "../../src/live/job-cache-merge.js";
import { T0 } from "./job-events.js";

export function row(id: string, overrides: Partial<JobSummary> = {}): JobSummary {
  const createdAt = overrides.createdAt ?? new Date(T0 - 60_000).toISOString();
  return {
    id,
    function: "send-email",
    kind: "task",
    status: "queued" satisfies JobStatus,
    failureReason: null,
    attempt: 0,
    maxAttempts: 3,
    priority: 0,
    parentId: null,
    rootId: id,
    workerId: null,
    progress: 0,
    progressMessage: null,
    errorMessage: null,
    tags: {},
    createdAt,
    scheduledAt: null,
    startedAt: null,
    finishedAt: null,
    updatedAt: createdAt,
    queueWaitMs: null,
    durationMs: null,
    ...overrides,
  };
}

export function pageInfo(nextCursor: string | null = null, limit = 50): PageInfo {
  return {
    limit,
    nextCursor,
    prevCursor: null,
    next: nextCursor === null ? null : `/api/v1/jobs?cursor=${nextCursor}`,
    prev: null,
  };
}

export function pages(
  ...lists: { items: JobSummary[]; next?: string | null }[]
): InfinitePages<Paged<JobSummary>> {
  return {
    pages: lists.map((list) => ({ items: list.items, page: pageInfo(list.next ?? null) })),
    pageParams: lists.map((_, index) => (index === 0 ? undefined : `cursor-${index}`)),
  };
}

export function ids(data: InfinitePages<Paged<JobSummary>>): string[] {
  return data.pages.flatMap((page) => page.items.map((item) => item.id));
}

export function minutesAgo(minutes: number): string {
  return new Date(T0 - minutes * 60_000).toISOString();
}
