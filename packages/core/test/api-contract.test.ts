import { describe, expect, it } from "vitest";
import {
  isValidJobId,
  isValidWorkerId,
  jobSummarySchema,
  newJobId,
  newWorkerId,
  outcomeFigures,
  successRate,
} from "../src/index.js";

describe("the stats semantics", () => {
  it("counts only complete and failed in the success rate, and is null when neither happened", () => {
    expect(successRate({ complete: 3, failed: 1 })).toBe(0.75);
    expect(successRate({ complete: 0, failed: 2 })).toBe(0);
    expect(successRate({ complete: 0, failed: 0 })).toBeNull();
    const figures = outcomeFigures(
      { submitted: 10, started: 8, complete: 4, failed: 1, cancelled: 5, retried: 2 },
      400,
      80,
    );
    expect(figures).toEqual({
      counts: { submitted: 10, started: 8, complete: 4, failed: 1, cancelled: 5, retried: 2 },
      runs: 5,
      successRate: 0.8,
      avgDurationMs: 100,
      avgQueueWaitMs: 10,
    });
    expect(
      outcomeFigures({ submitted: 1, started: 0, complete: 0, failed: 0, cancelled: 1, retried: 0 }, 0, 0),
    ).toMatchObject({ successRate: null, avgDurationMs: null, avgQueueWaitMs: null });
  });
});

describe("ids the API accepts", () => {
  it("accepts generated job and worker ids and refuses malformed ones", () => {
    expect(isValidJobId(newJobId())).toBe(true);
    expect(isValidWorkerId(newWorkerId("a".repeat(128)))).toBe(true);
    for (const bad of ["", "a b", "a".repeat(65), "x/y", "../etc"])
      expect(isValidJobId(bad), bad).toBe(false);
    for (const bad of ["", "-lead", "a b", "a".repeat(138), "{slot}"])
      expect(isValidWorkerId(bad), bad).toBe(false);
  });

  it("emits times as ISO-8601 UTC with Z and nothing else", () => {
    const row = {
      id: "j1",
      function: "f",
      kind: "task",
      status: "queued",
      failureReason: null,
      attempt: 0,
      maxAttempts: 1,
      priority: 0,
      parentId: null,
      rootId: "j1",
      workerId: null,
      progress: 0,
      progressMessage: null,
      errorMessage: null,
      tags: {},
      scheduledAt: null,
      startedAt: null,
      finishedAt: null,
      updatedAt: "2026-01-31T12:00:00.000Z",
      queueWaitMs: null,
      durationMs: null,
    };
    expect(jobSummarySchema.safeParse({ ...row, createdAt: "2026-01-31T12:00:00.000Z" }).success).toBe(true);
    expect(jobSummarySchema.safeParse({ ...row, createdAt: "2026-01-31T12:00:00+00:00" }).success).toBe(
      false,
    );
    expect(jobSummarySchema.safeParse({ ...row, createdAt: "2026-01-31T12:00:00" }).success).toBe(false);
  });
});
