import { describe, expect, it } from "vitest";
import { functionsSweptBy, SWEEPERS_PER_FUNCTION } from "../src/runtime/sweep-assignment.js";

const workers = Array.from({ length: 20 }, (_, i) => `worker-${i}-${(i * 7919).toString(16)}`);
const functions = Array.from({ length: 50 }, (_, i) => `fn-${i}`);

function sweepersOf(fleet: readonly string[], view: readonly string[] = fleet): Map<string, string[]> {
  const byFunction = new Map<string, string[]>(functions.map((fn) => [fn, []]));
  for (const worker of fleet)
    for (const fn of functionsSweptBy(worker, view, functions)) byFunction.get(fn)?.push(worker);
  return byFunction;
}

describe("functionsSweptBy", () => {
  it("gives every function to exactly two of the live workers", () => {
    for (const sweepers of sweepersOf(workers).values()) expect(sweepers).toHaveLength(SWEEPERS_PER_FUNCTION);
  });

  it("spreads the functions over the workers", () => {
    const shares = workers.map((worker) => functionsSweptBy(worker, workers, functions).length);
    expect(shares.reduce((sum, share) => sum + share, 0)).toBe(functions.length * SWEEPERS_PER_FUNCTION);
    expect(shares.filter((share) => share > 0).length).toBeGreaterThan(workers.length / 2);
  });

  it("leaves every function a live sweeper when a worker died but is still listed", () => {
    const dead = workers[3] ?? "";
    const live = workers.filter((worker) => worker !== dead);
    for (const [fn, sweepers] of sweepersOf(live, workers)) {
      expect(sweepers.length, fn).toBeGreaterThanOrEqual(1);
    }
  });

  it("lets every worker sweep everything when there are no more workers than sweepers per function", () => {
    expect(functionsSweptBy("a", ["a", "b"], functions)).toEqual(functions);
    expect(functionsSweptBy("a", [], functions)).toEqual(functions);
    // A worker not yet in the list (its first heartbeat not seen) counts itself in.
    expect(functionsSweptBy("c", ["a", "b"], functions).length).toBeLessThan(functions.length);
  });

  it("moves only the functions of a worker that leaves or joins", () => {
    const before = sweepersOf(workers);
    const joined = [...workers, "worker-new"];
    const after = sweepersOf(joined);
    let moved = 0;
    for (const fn of functions) {
      const was = new Set(before.get(fn));
      moved += (after.get(fn) ?? []).filter((worker) => !was.has(worker)).length;
    }
    // Only the newcomer takes functions over; nobody else's share changes.
    for (const fn of functions) {
      for (const worker of after.get(fn) ?? []) {
        if (worker !== "worker-new") expect(before.get(fn)).toContain(worker);
      }
    }
    expect(moved).toBeLessThan(functions.length);
  });
});
