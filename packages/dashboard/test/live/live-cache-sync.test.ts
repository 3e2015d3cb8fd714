import { QueryClient } from "@tanstack/react-query";
import type { JobDetail, JobSummary } from "@upnext/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { queryKeys } from "../../src/api/query-keys.js";
import type { InfinitePages, Paged } from "../../src/live/job-cache-merge.js";
import {
  DETAIL_SETTLE_DELAY_MS,
  FIGURES_THROTTLE_MS,
  FLUSH_DELAY_MS,
  LiveCacheSync,
} from "../../src/live/live-cache-sync.js";
import { T0, cancelled, completed, jobEvent, progressed, started, submitted } from "./job-events.js";
import { ids, minutesAgo, pages, row } from "./job-rows.js";

type List = InfinitePages<Paged<JobSummary>>;

let client: QueryClient;
let sync: LiveCacheSync;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 + 10_000 });
  client = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity, staleTime: Infinity } } });
  sync = new LiveCacheSync(client);
});

afterEach(() => {
  sync.stop();
  client.clear();
  vi.useRealTimers();
});

function list(filters = {}, limit = 50): List | undefined {
  return client.getQueryData<List>(queryKeys.jobs.list(filters, limit));
}

function listIds(filters = {}): string[] {
  const data = list(filters);
  if (data === undefined) throw new Error("the list is not cached");
  return ids(data);
}

function seedList(data: List, filters = {}, limit = 50): void {
  client.setQueryData(queryKeys.jobs.list(filters, limit), data);
}

function isInvalidated(key: readonly unknown[]): boolean {
  return client.getQueryCache().find({ queryKey: key, exact: true })?.state.isInvalidated ?? false;
}

describe("LiveCacheSync", () => {
  it("applies a burst of events in one flush after the batching delay", () => {
    seedList(pages({ items: [row("j1", { createdAt: minutesAgo(2) })] }));
    sync.receive("1-0", started("j1"));
    sync.receive("2-0", progressed("j1", 0.25));
    expect(list()?.pages[0]?.items[0]?.status).toBe("queued");
    vi.advanceTimersByTime(FLUSH_DELAY_MS);
    expect(list()?.pages[0]?.items[0]).toMatchObject({ status: "active", progress: 0.25 });
  });

  it("puts a new job into every matching cached list and no other", () => {
    seedList(pages({ items: [] }));
    seedList(pages({ items: [] }), { function: "send-email" });
    seedList(pages({ items: [] }), { function: "resize-image" });
    seedList(pages({ items: [] }), { status: ["failed"] });
    sync.receive("1-0", submitted("new"));
    sync.flush();
    expect(listIds()).toEqual(["new"]);
    expect(listIds({ function: "send-email" })).toEqual(["new"]);
    expect(listIds({ function: "resize-image" })).toEqual([]);
    expect(listIds({ status: ["failed"] })).toEqual([]);
  });

  it("drops an event delivered twice under the same stream id", () => {
    seedList(pages({ items: [] }));
    const feed: number[] = [];
    sync.feed.subscribe(() => feed.push(sync.feed.snapshot().length));
    sync.receive("1-0", submitted("j1"));
    sync.receive("1-0", submitted("j1"));
    sync.flush();
    expect(listIds()).toEqual(["j1"]);
    expect(feed).toEqual([1]);
  });

  it("keeps a cancelled row cancelled when late events and a stale refetch follow", () => {
    seedList(pages({ items: [row("j1", { status: "active", attempt: 1, createdAt: minutesAgo(1) })] }));
    sync.receive("1-0", cancelled("j1"));
    sync.flush();
    sync.receive("2-0", progressed("j1", 0.9, { at: T0 + 20_000 }));
    sync.receive("3-0", completed("j1", { at: T0 + 21_000 }));
    sync.flush();
    expect(list()?.pages[0]?.items[0]?.status).toBe("cancelled");
    // A response the server computed before it ingested the cancel:
    const stale = row("j1", { status: "active", attempt: 1, updatedAt: new Date(T0 + 1_000).toISOString() });
    expect(sync.reconcileRows([stale])[0]?.status).toBe("cancelled");
  });

  it("appends live log and event records to the open job's lists", () => {
    const emptyPage = {
      items: [],
      page: { limit: 50, nextCursor: null, prevCursor: null, next: null, prev: null },
    };
    client.setQueryData(queryKeys.jobs.logs("j1"), { pages: [emptyPage], pageParams: [undefined] });
    client.setQueryData(queryKeys.jobs.events("j1"), { pages: [emptyPage], pageParams: [undefined] });
    sync.receive(
      "5-0",
      jobEvent("log", "j1", { level: "warn", message: "slow smtp" }, { attempt: 1, at: T0 + 1_500 }),
    );
    sync.receive("6-0", jobEvent("log", "other", { level: "info", message: "not mine" }, { attempt: 1 }));
    sync.flush();
    const logs = client.getQueryData<InfinitePages<Paged<{ id: string; message: string }>>>(
      queryKeys.jobs.logs("j1"),
    );
    expect(logs?.pages[0]?.items).toEqual([
      expect.objectContaining({ id: "5-0", message: "slow smtp", level: "warn" }),
    ]);
    const events = client.getQueryData<InfinitePages<Paged<{ id: string; type: string }>>>(
      queryKeys.jobs.events("j1"),
    );
    expect(events?.pages[0]?.items.map((item) => item.type)).toEqual(["log"]);
  });

  it("refetches the open detail shortly after its job ended, for the stored result", () => {
    const detail = { ...row("j1", { status: "active", attempt: 1 }), result: null } as unknown as JobDetail;
    client.setQueryData(queryKeys.jobs.detail("j1"), detail);
    sync.receive("1-0", completed("j1"));
    sync.flush();
    expect(client.getQueryData<JobDetail>(queryKeys.jobs.detail("j1"))?.status).toBe("complete");
    expect(isInvalidated(queryKeys.jobs.detail("j1"))).toBe(false);
    vi.advanceTimersByTime(DETAIL_SETTLE_DELAY_MS);
    expect(isInvalidated(queryKeys.jobs.detail("j1"))).toBe(true);
  });

  it("refreshes server-computed figures on status changes, at most once per window", () => {
    client.setQueryData(queryKeys.queues.all, { items: [] });
    const invalidate = vi.spyOn(client, "invalidateQueries");
    sync.receive("1-0", submitted("a"));
    sync.flush();
    vi.advanceTimersByTime(0);
    const queueCalls = () =>
      invalidate.mock.calls.filter(([filters]) => JSON.stringify(filters?.queryKey) === '["queues"]').length;
    expect(queueCalls()).toBe(1);
    for (let index = 0; index < 10; index++) {
      sync.receive(`${index + 2}-0`, submitted(`b${index}`));
      sync.flush();
    }
    vi.advanceTimersByTime(FIGURES_THROTTLE_MS - 1);
    expect(queueCalls()).toBe(1);
    vi.advanceTimersByTime(1);
    expect(queueCalls()).toBe(2);
    // Progress carries no status change: no refresh for it.
    sync.receive("99-0", progressed("a", 0.5));
    sync.flush();
    vi.advanceTimersByTime(FIGURES_THROTTLE_MS * 2);
    expect(queueCalls()).toBe(2);
  });

  it("refetches a filtered list it cannot place a job in, throttled", () => {
    seedList(pages({ items: [] }), { q: "smtp" });
    sync.receive("1-0", submitted("a"));
    sync.flush();
    vi.advanceTimersByTime(0);
    expect(isInvalidated(queryKeys.jobs.list({ q: "smtp" }, 50))).toBe(true);
  });

  it("resyncs every query but artifact contents after a reconnect or reset", () => {
    seedList(pages({ items: [] }));
    client.setQueryData(queryKeys.dashboard.summary, {});
    client.setQueryData(queryKeys.workers.list, {});
    client.setQueryData(queryKeys.artifacts.content("a1"), "blob");
    sync.resync();
    expect(isInvalidated(queryKeys.jobs.list({}, 50))).toBe(true);
    expect(isInvalidated(queryKeys.dashboard.summary)).toBe(true);
    expect(isInvalidated(queryKeys.workers.list)).toBe(true);
    expect(isInvalidated(queryKeys.artifacts.content("a1"))).toBe(false);
  });

  it("keeps the live state through a resync, so the refetched rows cannot regress", () => {
    sync.receive("1-0", submitted("j1"));
    sync.receive("2-0", started("j1"));
    sync.receive("3-0", completed("j1"));
    sync.flush();
    sync.resync();
    const refetched = row("j1", { status: "queued", createdAt: new Date(T0).toISOString() });
    expect(sync.reconcileRows([refetched])[0]).toMatchObject({ status: "complete", durationMs: 2_000 });
  });

  it("feeds the activity feed newest first", () => {
    sync.receive("1-0", submitted("j1"));
    sync.receive("2-0", started("j1"));
    sync.flush();
    sync.receive("3-0", completed("j1"));
    sync.flush();
    expect(sync.feed.snapshot().map((entry) => entry.streamId)).toEqual(["3-0", "2-0", "1-0"]);
  });

  it("inserts nothing into a timeline of another tree", () => {
    const timeline = {
      pages: [
        {
          items: [row("root")],
          page: { limit: 50, nextCursor: null, prevCursor: null, next: null, prev: null },
          rootId: "root",
          externalParents: [],
        },
      ],
      pageParams: [undefined],
    };
    client.setQueryData(queryKeys.jobs.timeline("root"), timeline);
    sync.receive("1-0", submitted("x", { rootId: "elsewhere" }));
    sync.flush();
    expect(client.getQueryData(queryKeys.jobs.timeline("root"))).toBe(timeline);
  });
});
