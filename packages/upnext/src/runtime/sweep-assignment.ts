/**
 * Which functions a worker sweeps (promotes due jobs, recovers expired leases; see
 * runtime/maintenance.ts and docs/decisions/0016-sweeps-shared-by-rendezvous-hashing.md). Each
 * function goes to the SWEEPERS_PER_FUNCTION live workers that rank highest for it by rendezvous
 * hashing, so the namespace pays a fixed number of sweeps per function whatever the number of
 * workers, every worker computes the same split from the same worker list without talking to
 * the others, and a worker that dies without deregistering still leaves every function it swept
 * with another sweeper.
 */
import { createHash } from "node:crypto";

/** Two: one worker may die (SIGKILL, before its record expires) without any function going unswept. */
export const SWEEPERS_PER_FUNCTION = 2;

function rank(workerId: string, fn: string): number {
  return createHash("sha1").update(fn).update("\n").update(workerId).digest().readUInt32BE(0);
}

/** Whether `a` outranks `b` for a function (ties, vanishingly rare, go by id). */
function outranks(a: { id: string; rank: number }, b: { id: string; rank: number }): boolean {
  return a.rank > b.rank || (a.rank === b.rank && a.id > b.id);
}

/**
 * The functions `self` sweeps, given the workers it knows to be alive (itself included or not).
 * With no more than `perFunction` workers, every worker sweeps every function.
 */
export function functionsSweptBy(
  self: string,
  liveWorkers: readonly string[],
  functions: readonly string[],
  perFunction = SWEEPERS_PER_FUNCTION,
): string[] {
  const others = [...new Set(liveWorkers)].filter((id) => id !== self);
  if (others.length < perFunction) return [...functions];
  return functions.filter((fn) => {
    const own = { id: self, rank: rank(self, fn) };
    let above = 0;
    for (const id of others) {
      if (outranks({ id, rank: rank(id, fn) }, own) && ++above >= perFunction) return false;
    }
    return true;
  });
}
