/**
 * Every job this worker holds a lease on: prefetched, running, or finished and waiting for its
 * finish to be stored. Entries leave when the job is settled, handed back or cancelled. As a
 * safety net against leaks the cache is swept every `sweepEvery` removals or every hour,
 * whichever comes first, evicting prefetched entries older than `maxAgeMs` (their leases are then
 * no longer renewed, so the queue recovers them). Running and settling entries are never evicted:
 * their outcome is on its way, and their lease must hold until it is stored.
 */
import type { ClaimedJob, HeldJob } from "../../backend/queue-backend.js";

export type HeldState = "prefetched" | "running" | "settling";

export interface HeldEntry<E> {
  readonly job: ClaimedJob;
  state: HeldState;
  readonly since: number;
  execution?: E;
}

const SWEEP_PERIOD_MS = 3_600_000;

export class ClaimsCache<E> {
  private readonly entries = new Map<string, HeldEntry<E>>();
  private removalsSinceSweep = 0;
  private lastSweep = Date.now();
  private evictedTotal = 0;

  constructor(
    private readonly maxAgeMs: number,
    private readonly sweepEvery: number,
    private readonly onEvict: (entries: HeldEntry<E>[]) => void = () => undefined,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get evicted(): number {
    return this.evictedTotal;
  }

  add(job: ClaimedJob, now: number = Date.now()): HeldEntry<E> {
    const entry: HeldEntry<E> = { job, state: "prefetched", since: now };
    this.entries.set(job.id, entry);
    return entry;
  }

  get(id: string): HeldEntry<E> | undefined {
    return this.entries.get(id);
  }

  remove(id: string, now: number = Date.now()): HeldEntry<E> | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    this.removalsSinceSweep++;
    if (this.removalsSinceSweep >= this.sweepEvery || now - this.lastSweep >= SWEEP_PERIOD_MS)
      this.sweep(now);
    return entry;
  }

  /** Evicts stale entries now; also called on the hourly timer of the worker. */
  sweep(now: number = Date.now()): HeldEntry<E>[] {
    this.removalsSinceSweep = 0;
    this.lastSweep = now;
    const stale: HeldEntry<E>[] = [];
    for (const [id, entry] of this.entries) {
      if (entry.state === "prefetched" && now - entry.since > this.maxAgeMs) {
        this.entries.delete(id);
        stale.push(entry);
      }
    }
    this.evictedTotal += stale.length;
    if (stale.length > 0) this.onEvict(stale);
    return stale;
  }

  /** Held jobs grouped by function, for lease renewal. */
  byFunction(): Map<string, HeldJob[]> {
    const groups = new Map<string, HeldJob[]>();
    for (const entry of this.entries.values()) {
      const fn = entry.job.function;
      let list = groups.get(fn);
      if (!list) {
        list = [];
        groups.set(fn, list);
      }
      list.push(entry.job);
    }
    return groups;
  }

  inState(state: HeldState): HeldEntry<E>[] {
    return [...this.entries.values()].filter((entry) => entry.state === state);
  }
}
