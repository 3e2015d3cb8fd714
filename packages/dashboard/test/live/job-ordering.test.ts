import type { JobStatus } from "@upnext/core";
import { describe, expect, it } from "vitest";
import { supersedes } from "../../src/live/job-ordering.js";

const point = (status: JobStatus, attempt: number, at: number) => ({ status, attempt, at });

describe("supersedes", () => {
  it("never replaces a terminal state, whatever comes later", () => {
    for (const terminal of ["complete", "failed", "cancelled"] as const) {
      for (const next of ["queued", "active", "retrying", "complete", "failed", "cancelled"] as const) {
        expect(supersedes(point(next, 9, 9_999), point(terminal, 1, 100))).toBe(false);
      }
    }
  });

  it("lets a terminal state replace any other, even with an older clock", () => {
    expect(supersedes(point("cancelled", 0, 50), point("active", 1, 100))).toBe(true);
    expect(supersedes(point("complete", 1, 50), point("active", 1, 100))).toBe(true);
  });

  it("orders attempts before times", () => {
    expect(supersedes(point("queued", 2, 10), point("retrying", 1, 20))).toBe(true);
    expect(supersedes(point("active", 1, 30), point("queued", 2, 20))).toBe(false);
  });

  it("takes a forward move within an attempt even when the row's clock is later", () => {
    expect(supersedes(point("active", 1, 100), point("queued", 1, 150))).toBe(true);
  });

  it("takes a move back within an attempt only when it is strictly newer", () => {
    expect(supersedes(point("queued", 1, 200), point("active", 1, 100))).toBe(true);
    expect(supersedes(point("queued", 1, 100), point("active", 1, 100))).toBe(false);
    expect(supersedes(point("queued", 1, 50), point("active", 1, 100))).toBe(false);
  });

  it("takes the same state again when it is at least as new", () => {
    expect(supersedes(point("active", 1, 100), point("active", 1, 100))).toBe(true);
    expect(supersedes(point("active", 1, 99), point("active", 1, 100))).toBe(false);
  });
});
