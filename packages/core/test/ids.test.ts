import { describe, expect, it, vi } from "vitest";
import { jobIdTime, newJobId, newWorkerId } from "../src/index.js";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

// The id generator keeps per-process state (last time, last random part), so the tests run in
// order and the one that moves the clock forward comes last.
describe("newJobId", () => {
  it("makes 26-character Crockford base32 ids", () => {
    const id = newJobId();
    expect(id).toHaveLength(26);
    expect(id).toMatch(ULID);
  });

  it("makes 10,000 unique ids in strictly increasing order in a tight loop", () => {
    const ids: string[] = [];
    for (let i = 0; i < 10_000; i++) ids.push(newJobId());
    // Plain string order is what Redis and the dashboard sort by, so compare exactly that way.
    for (let i = 1; i < ids.length; i++) {
      if (!((ids[i - 1] ?? "") < (ids[i] ?? ""))) {
        throw new Error(`id ${i} (${ids[i]}) does not sort after id ${i - 1} (${ids[i - 1]})`);
      }
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(10_000);
    // The loop is fast enough that many ids share a millisecond: the case monotonicity is for.
    expect(new Set(ids.map((id) => id.slice(0, 10))).size).toBeLessThan(10_000);
  });

  it("embeds the creation time, which jobIdTime reads back", () => {
    const before = Date.now();
    const id = newJobId();
    const after = Date.now();
    const time = jobIdTime(id);
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(after);
  });

  it("keeps ids increasing when the clock goes backwards", () => {
    const first = newJobId(Date.now() + 1_000);
    const second = newJobId(Date.now() - 60_000);
    expect(second > first).toBe(true);
    expect(jobIdTime(second)).toBe(jobIdTime(first));
  });

  it("encodes the time as the reference ULID implementation does", async () => {
    // A fresh copy of the module: this one has already seen later times and would reuse them.
    vi.resetModules();
    const fresh = await import("../src/ids.js");
    expect(fresh.newJobId(1_469_918_176_385).slice(0, 10)).toBe("01ARYZ6S41");
  });

  it("round-trips an explicit time", () => {
    const time = Date.UTC(2100, 0, 1, 12, 30, 15, 123);
    const id = newJobId(time);
    expect(jobIdTime(id)).toBe(time);
    expect(id.slice(0, 10)).toBe(newJobId(time).slice(0, 10));
  });
});

describe("jobIdTime", () => {
  it("decodes a known ULID timestamp", () => {
    // The reference implementation's example: ulid(1469918176385) starts with 01ARYZ6S41.
    expect(jobIdTime("01ARYZ6S41TSV4RRFFQ69G5FAV")).toBe(1_469_918_176_385);
  });

  it.each([
    "",
    "not-an-id",
    "01ARZ3NDEKTSV4RRFFQ69G5FA",
    "01ARZ3NDEKTSV4RRFFQ69G5FAVX",
    "01arz3ndektsv4rrffq69g5fav",
    "01ARZ3NDEKTSV4RRFFQ69G5FAU",
    "01ARZ3NDEKTSV4RRFFQ69G5FAI",
  ])("returns undefined for %j", (id) => {
    expect(jobIdTime(id)).toBeUndefined();
  });
});

describe("newWorkerId", () => {
  it("is the name, a dash and 8 hex characters", () => {
    expect(newWorkerId("billing-worker")).toMatch(/^billing-worker-[0-9a-f]{8}$/);
  });

  it("differs between calls", () => {
    const ids = new Set(Array.from({ length: 100 }, () => newWorkerId("w")));
    expect(ids.size).toBe(100);
  });
});
