import type { JobDetail, JobLog, JobSummary, PageInfo } from "@upnext/core";
import { describe, expect, it } from "vitest";
import type { JobFilters } from "../../src/api/job-filters.js";
import {
  LIVE_INSERT_CAP,
  appendRecords,
  mergeIntoDetail,
  mergeIntoJobList,
  mergeIntoTimeline,
} from "../../src/live/job-cache-merge.js";
import { reconcileRow } from "../../src/live/job-row-merge.js";
import { type LiveJobState, foldEvent } from "../../src/live/live-job-state.js";
import { T0, cancelled, completed, failed, jobEvent, progressed, started, submitted } from "./job-events.js";
import { ids, minutesAgo, pageInfo, pages, row } from "./job-rows.js";

function stateOf(...events: Parameters<typeof foldEvent>[1][]): LiveJobState {
  const state = events.reduce<LiveJobState | undefined>(
    (current, event) => foldEvent(current, event, T0),
    undefined,
  );
  if (state === undefined) throw new Error("no events");
  return state;
}

function merge(data: ReturnType<typeof pages>, filters: JobFilters, ...states: LiveJobState[]) {
  return mergeIntoJobList(data, filters, states, 50);
}

describe("mergeIntoJobList: rows in place", () => {
  it("updates a row in place and leaves the others untouched (same objects)", () => {
    const other = row("other");
    const data = pages({ items: [row("j1"), other] });
    const result = merge(data, {}, stateOf(started("j1"), progressed("j1", 0.5)));
    const [first, second] = result.data.pages[0]?.items ?? [];
    expect(first).toMatchObject({
      id: "j1",
      status: "active",
      progress: 0.5,
      progressMessage: "at 0.5",
      workerId: "worker-1",
    });
    expect(second).toBe(other);
    expect(result.refetch).toBe(false);
  });

  it("returns the same data when nothing changes", () => {
    const data = pages({ items: [row("j1")] });
    expect(merge(data, {}, stateOf(jobEvent("log", "zz", { level: "info", message: "x" }))).data).toBe(data);
  });

  it("never regresses a complete row for a late started or progress event", () => {
    const done = row("j1", {
      status: "complete",
      attempt: 1,
      progress: 1,
      updatedAt: new Date(T0 + 3_000).toISOString(),
    });
    const data = pages({ items: [done] });
    const result = merge(
      data,
      {},
      stateOf(started("j1", { at: T0 + 9_000 }), progressed("j1", 0.2, { at: T0 + 9_500 })),
    );
    expect(result.data).toBe(data);
  });

  it("never regresses a cancelled row, also not for a later attempt", () => {
    const gone = row("j1", { status: "cancelled", attempt: 1, updatedAt: new Date(T0).toISOString() });
    const result = merge(
      pages({ items: [gone] }),
      {},
      stateOf(started("j1", { attempt: 2, at: T0 + 60_000 })),
    );
    expect(result.data.pages[0]?.items[0]?.status).toBe("cancelled");
  });

  it("moves an active row to failed with the error, even when the event clock is behind the row's", () => {
    const active = row("j1", {
      status: "active",
      attempt: 1,
      updatedAt: new Date(T0 + 10_000).toISOString(),
    });
    const result = merge(pages({ items: [active] }), {}, stateOf(failed("j1", { at: T0 + 3_000 })));
    expect(result.data.pages[0]?.items[0]).toMatchObject({
      status: "failed",
      errorMessage: "smtp down",
      failureReason: "exception",
    });
  });

  it("takes the last of several events for one job in one batch", () => {
    const result = merge(
      pages({ items: [row("j1")] }),
      {},
      stateOf(
        started("j1"),
        progressed("j1", 0.2),
        progressed("j1", 0.6, { at: T0 + 2_500 }),
        completed("j1"),
      ),
    );
    expect(result.data.pages[0]?.items[0]).toMatchObject({
      status: "complete",
      progress: 1,
      durationMs: 2_000,
    });
  });

  it("removes a row that no longer matches the status filter", () => {
    const data = pages({
      items: [row("j1", { status: "active", attempt: 1 }), row("j2", { status: "active", attempt: 1 })],
    });
    const result = merge(data, { status: ["active"] }, stateOf(completed("j1")));
    expect(ids(result.data)).toEqual(["j2"]);
  });
});

describe("mergeIntoJobList: new jobs", () => {
  it("puts a new job at the top of an unfiltered newest-first list", () => {
    const data = pages({ items: [row("old", { createdAt: minutesAgo(1) })] });
    const result = merge(data, {}, stateOf(submitted("new")));
    expect(ids(result.data)).toEqual(["new", "old"]);
    expect(result.data.pages[0]?.items[0]).toMatchObject({
      status: "queued",
      kind: "task",
      maxAttempts: 3,
      createdAt: new Date(T0).toISOString(),
    });
  });

  it("inserts into lists whose filters match and nowhere else", () => {
    const event = submitted("new", { function: "resize-image", tags: { tenant: "acme" } });
    const state = stateOf(event);
    const empty = () => pages({ items: [row("old", { createdAt: minutesAgo(1) })] });
    const cases: [JobFilters, boolean][] = [
      [{ function: "resize-image" }, true],
      [{ function: "send-email" }, false],
      [{ status: ["queued"] }, true],
      [{ status: ["failed", "complete"] }, false],
      [{ kind: ["task"] }, true],
      [{ kind: ["cron"] }, false],
      [{ tag: ["tenant:acme"] }, true],
      [{ tag: ["tenant:other"] }, false],
      [{ from: new Date(T0 - 1_000).toISOString() }, true],
      [{ to: new Date(T0 - 1_000).toISOString() }, false],
      [{ workerId: "worker-1" }, false],
      [{ rootId: "new" }, true],
      [{ parentId: "someone" }, false],
    ];
    for (const [filters, expected] of cases) {
      const result = mergeIntoJobList(empty(), filters, [state], 50);
      expect(ids(result.data).includes("new"), JSON.stringify(filters)).toBe(expected);
    }
  });

  it("refetches instead of guessing for a free-text filter", () => {
    const data = pages({ items: [] });
    const result = merge(data, { q: "smtp" }, stateOf(submitted("new")));
    expect(result.data).toBe(data);
    expect(result.refetch).toBe(true);
  });

  it("inserts a job created in the middle of the loaded range at its place", () => {
    const data = pages(
      { items: [row("a", { createdAt: minutesAgo(1) }), row("b", { createdAt: minutesAgo(3) })], next: "c1" },
      { items: [row("c", { createdAt: minutesAgo(5) }), row("d", { createdAt: minutesAgo(7) })], next: "c2" },
    );
    const result = merge(data, {}, stateOf(submitted("mid", { at: T0 - 4 * 60_000 })));
    expect(ids(result.data)).toEqual(["a", "b", "mid", "c", "d"]);
    expect(result.data.pages[0]).toBe(data.pages[0]);
  });

  it("leaves a job older than every loaded row to the page that is not loaded yet", () => {
    const data = pages({ items: [row("a", { createdAt: minutesAgo(1) })], next: "c1" });
    const result = merge(data, {}, stateOf(submitted("ancient", { at: T0 - 60 * 60_000 })));
    expect(result.data).toBe(data);
  });

  it("appends an older job when the whole list is loaded", () => {
    const data = pages({ items: [row("a", { createdAt: minutesAgo(1) })] });
    const result = merge(data, {}, stateOf(submitted("older", { at: T0 - 60 * 60_000 })));
    expect(ids(result.data)).toEqual(["a", "older"]);
  });

  it("does not insert a job twice when it is already in a later page", () => {
    const data = pages(
      { items: [row("a", { createdAt: minutesAgo(1) })], next: "c1" },
      { items: [row("j1", { createdAt: minutesAgo(2) })] },
    );
    const result = merge(data, {}, stateOf(submitted("j1", { at: T0 - 2 * 60_000 }), started("j1")));
    expect(ids(result.data)).toEqual(["a", "j1"]);
    expect(result.data.pages[1]?.items[0]?.status).toBe("active");
  });

  it("inserts a new job as cancelled when it was cancelled before its row existed", () => {
    const result = merge(pages({ items: [] }), {}, stateOf(submitted("j1"), cancelled("j1", { attempt: 0 })));
    expect(result.data.pages[0]?.items[0]?.status).toBe("cancelled");
  });

  it("refetches a status-filtered list for a job it can only know from a status change", () => {
    const data = pages({ items: [] });
    const lateFailure = stateOf(failed("seen-only-now"));
    expect(merge(data, { status: ["failed"] }, lateFailure).refetch).toBe(true);
    expect(merge(data, { status: ["active"] }, lateFailure).refetch).toBe(false);
    expect(merge(data, { function: "resize-image", status: ["failed"] }, lateFailure).refetch).toBe(false);
    // A list filtered only by creation facts cannot gain a job created before it was fetched.
    expect(merge(data, {}, lateFailure).refetch).toBe(false);
    expect(merge(data, { function: "send-email" }, lateFailure).refetch).toBe(false);
  });

  it("asks for a refetch once live inserts grow the first page past the cap", () => {
    const states = Array.from({ length: LIVE_INSERT_CAP + 51 }, (_, index) =>
      stateOf(submitted(`n${index}`, { at: T0 + index })),
    );
    const result = mergeIntoJobList(pages({ items: [] }), {}, states, 50);
    expect(result.refetch).toBe(true);
  });
});

describe("mergeIntoTimeline", () => {
  function timeline(items: JobSummary[], nextCursor: string | null = null) {
    return {
      pages: [{ items, page: pageInfo(nextCursor), rootId: "root", externalParents: [] }],
      pageParams: [undefined],
    };
  }

  it("updates tree rows and appends new children of this tree in creation order", () => {
    const data = timeline([
      row("root", { createdAt: minutesAgo(5) }),
      row("child-1", { rootId: "root", parentId: "root", createdAt: minutesAgo(4) }),
    ]);
    const result = mergeIntoTimeline(data, [
      stateOf(started("child-1", { rootId: "root", parentId: "root" })),
      stateOf(submitted("child-2", { rootId: "root", parentId: "root", at: T0 + 10 })),
      stateOf(submitted("stranger", { rootId: "other-root" })),
    ]);
    const items = result.pages[0]?.items ?? [];
    expect(items.map((item) => item.id)).toEqual(["root", "child-1", "child-2"]);
    expect(items[1]?.status).toBe("active");
  });

  it("does not append while later pages of the tree are not loaded", () => {
    const data = timeline([row("root")], "more");
    expect(mergeIntoTimeline(data, [stateOf(submitted("child", { rootId: "root", parentId: "root" }))])).toBe(
      data,
    );
  });
});

describe("mergeIntoDetail", () => {
  it("applies status, progress and checkpoint to the open job", () => {
    const detail = {
      ...row("j1", { status: "active", attempt: 1 }),
      deliveries: 1,
      idempotencyKey: null,
      schedule: null,
      eventName: null,
      origin: null,
      input: {},
      result: null,
      error: null,
      metadata: {},
      checkpoint: null,
      dependsOn: [],
      dagParents: [],
      childrenCount: 0,
    } satisfies JobDetail;
    const state = stateOf(
      started("j1"),
      progressed("j1", 0.7),
      jobEvent("checkpoint", "j1", { version: 1, state: { cursor: 42 } }, { attempt: 1, at: T0 + 2_100 }),
    );
    const next = mergeIntoDetail(detail, state);
    expect(next).toMatchObject({
      progress: 0.7,
      checkpoint: { data: { version: 1, state: { cursor: 42 } }, at: new Date(T0 + 2_100).toISOString() },
    });
    expect(mergeIntoDetail(detail, stateOf(started("other")))).toBe(detail);
  });
});

describe("reconcileRow (a REST response older than the stream)", () => {
  it("keeps what the stream showed when the fetched row is older", () => {
    const state = stateOf(submitted("j1"), started("j1"), completed("j1"));
    const stale = row("j1", { status: "active", attempt: 1, updatedAt: new Date(T0 + 1_000).toISOString() });
    expect(reconcileRow(stale, state)).toMatchObject({ status: "complete", progress: 1 });
  });

  it("keeps the fetched row when it is newer than the stream's last word", () => {
    const state = stateOf(submitted("j1"));
    const fresh = row("j1", {
      status: "active",
      attempt: 1,
      workerId: "w9",
      updatedAt: new Date(T0 + 1_000).toISOString(),
    });
    expect(reconcileRow(fresh, state)).toBe(fresh);
  });
});

describe("appendRecords", () => {
  const log = (id: string): JobLog => ({
    id,
    attempt: 1,
    at: new Date(T0).toISOString(),
    level: "info",
    message: id,
    fields: {},
  });
  const info: PageInfo = pageInfo(null);

  it("appends new records once, skipping ids already shown", () => {
    const data = { pages: [{ items: [log("1-0")], page: info }], pageParams: [undefined] };
    const next = appendRecords(data, [log("1-0"), log("2-0"), log("2-0"), log("3-0")]);
    expect(next.pages[0]?.items.map((item) => item.id)).toEqual(["1-0", "2-0", "3-0"]);
    expect(appendRecords(next, [log("3-0")])).toBe(next);
  });

  it("waits for paging while the last page is not loaded", () => {
    const data = { pages: [{ items: [log("1-0")], page: pageInfo("more") }], pageParams: [undefined] };
    expect(appendRecords(data, [log("2-0")])).toBe(data);
  });
});
