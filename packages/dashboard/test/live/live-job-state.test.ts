import { describe, expect, it } from "vitest";
import { LiveJobStates, foldEvent } from "../../src/live/live-job-state.js";
import { rowFromState } from "../../src/live/job-row-merge.js";
import {
  T0,
  cancelled,
  completed,
  jobEvent,
  progressed,
  retrying,
  started,
  submitted,
} from "./job-events.js";

function fold(...events: Parameters<typeof foldEvent>[1][]) {
  return events.reduce<ReturnType<typeof foldEvent> | undefined>(
    (state, event) => foldEvent(state, event, T0),
    undefined,
  );
}

describe("foldEvent", () => {
  it("follows a job through its lifecycle", () => {
    const state = fold(submitted("j1"), started("j1"), progressed("j1", 0.5), completed("j1"));
    expect(state?.point).toEqual({ status: "complete", attempt: 1, at: T0 + 3_000 });
    expect(state?.fields).toMatchObject({ workerId: "worker-1", durationMs: 2_000, queueWaitMs: 1_000 });
    expect(state?.creation).toMatchObject({ kind: "task", maxAttempts: 3, createdAt: T0 });
  });

  it("shows a job as active when its started event arrived before its queued one", () => {
    const state = fold(started("j1"), submitted("j1"));
    expect(state?.point?.status).toBe("active");
    if (state === undefined) throw new Error("no state");
    expect(rowFromState(state)).toMatchObject({
      status: "active",
      attempt: 1,
      workerId: "worker-1",
      createdAt: new Date(T0).toISOString(),
    });
  });

  it("never leaves a terminal state for a late event", () => {
    const state = fold(
      submitted("j1"),
      started("j1"),
      cancelled("j1"),
      progressed("j1", 0.9, { at: T0 + 9_000 }),
      completed("j1", { at: T0 + 9_500 }),
    );
    expect(state?.point?.status).toBe("cancelled");
    expect(state?.progress).toBeUndefined();
  });

  it("gives the same state for an event delivered twice", () => {
    const once = fold(submitted("j1"), started("j1"), progressed("j1", 0.4));
    const twice = fold(
      submitted("j1"),
      started("j1"),
      started("j1"),
      progressed("j1", 0.4),
      progressed("j1", 0.4),
    );
    expect({ ...twice, seenAt: 0 }).toEqual({ ...once, seenAt: 0 });
  });

  it("keeps the newest progress when progress events arrive out of order", () => {
    const state = fold(
      started("j1"),
      progressed("j1", 0.8, { at: T0 + 5_000 }),
      progressed("j1", 0.3, { at: T0 + 4_000 }),
    );
    expect(state?.progress?.value).toBe(0.8);
  });

  it("starts a new attempt clean but keeps the last error", () => {
    const state = fold(
      submitted("j1"),
      started("j1"),
      retrying("j1"),
      jobEvent("queued", "j1", { from: "retrying" }, { attempt: 2, at: T0 + 8_000 }),
    );
    expect(state?.point).toEqual({ status: "queued", attempt: 2, at: T0 + 8_000 });
    expect(state?.fields.errorMessage).toBe("try again");
    expect(state?.fields.startedAt).toBeNull();
    expect(state?.fields.workerId).toBeNull();
  });

  it("takes the kind from the origin of a cron run and tags from the envelope", () => {
    const event = jobEvent(
      "queued",
      "c1",
      {
        from: "submit",
        maxAttempts: 1,
        priority: 5,
        idempotencyKey: "k",
        origin: { kind: "cron", schedule: "* * * * *", scheduledFor: T0, catchUp: false },
      },
      { tags: { tenant: "acme" } },
    );
    const state = fold(event);
    expect(state?.creation).toMatchObject({ kind: "cron", priority: 5 });
    expect(state?.tags).toEqual({ tenant: "acme" });
  });

  it("records a checkpoint, ignoring an older one", () => {
    const state = fold(
      started("j1"),
      jobEvent("checkpoint", "j1", { version: 2, state: { page: 7 } }, { attempt: 1, at: T0 + 5_000 }),
      jobEvent("checkpoint", "j1", { version: 1, state: { page: 3 } }, { attempt: 1, at: T0 + 4_000 }),
    );
    expect(state?.checkpoint).toEqual({ data: { version: 2, state: { page: 7 } }, at: T0 + 5_000 });
  });
});

describe("LiveJobStates", () => {
  it("forgets the least recently seen jobs past its size", () => {
    const states = new LiveJobStates(3, 60_000);
    for (const id of ["a", "b", "c"]) states.apply(submitted(id), T0);
    states.apply(started("a"), T0 + 1);
    states.apply(submitted("d"), T0 + 2);
    expect(states.size).toBe(3);
    expect(states.get("b")).toBeUndefined();
    expect(states.get("a")?.point?.status).toBe("active");
  });

  it("forgets jobs not seen for longer than its time to live", () => {
    const states = new LiveJobStates(100, 1_000);
    states.apply(submitted("old"), T0);
    states.apply(submitted("new"), T0 + 5_000);
    expect(states.get("old")).toBeUndefined();
    expect(states.get("new")).toBeDefined();
  });
});
