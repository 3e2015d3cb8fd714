/**
 * Slot arithmetic for cron schedules: which slots of an expression fall in a time range, and
 * what one scheduler pass should do about the slots due since a schedule's cursor (the missed-run
 * policy). Pure functions over cron-parser, no I/O, so every policy is testable with any clock.
 *
 * cron-parser costs roughly 0.1–0.4 ms per step, so nothing here walks an unbounded range:
 * counting skipped slots stops at COUNT_CAP and a catch-up pass creates at most `maxRuns` runs.
 */
import { CronExpressionParser, type CronExpression } from "cron-parser";

/** Skipped slots are counted exactly up to this many per pass; beyond it the count is a lower bound. */
export const COUNT_CAP = 1_000;

/** An expression compiled for one time zone; steps from any instant (epoch ms). */
export class CronSlots {
  private readonly expression: CronExpression;

  constructor(
    readonly cron: string,
    readonly timezone: string,
  ) {
    this.expression = CronExpressionParser.parse(cron, { tz: timezone, currentDate: 0 });
  }

  /** The first slot strictly after `ms`, or null when the expression has none. */
  nextAfter(ms: number): number | null {
    try {
      this.expression.reset(new Date(ms));
      return this.expression.next().getTime();
    } catch {
      return null;
    }
  }

  /** The last slot strictly before `ms`, or null. */
  prevBefore(ms: number): number | null {
    try {
      this.expression.reset(new Date(ms));
      return this.expression.prev().getTime();
    } catch {
      return null;
    }
  }

  /** Slots s with `after < s <= until`, oldest first, at most `limit` of them. */
  between(after: number, until: number, limit: number): number[] {
    const slots: number[] = [];
    let cursor = after;
    while (slots.length < limit) {
      const slot = this.nextAfter(cursor);
      if (slot === null || slot > until) break;
      slots.push(slot);
      cursor = slot;
    }
    return slots;
  }

  /** How many slots s have `after < s <= until`, counting at most `cap`. */
  count(after: number, until: number, cap: number = COUNT_CAP): number {
    if (until <= after) return 0;
    return this.between(after, until, cap).length;
  }
}

/** After downtime or a pause: drop missed slots, run the latest one, or run them all (in a window). */
export type MissedRunPolicy = "skip" | "latest" | "all";

export const MISSED_RUN_POLICIES: readonly MissedRunPolicy[] = ["skip", "latest", "all"];

/** What happens at a slot while the schedule's previous run is still going. */
export type OverlapPolicy = "allow" | "skip" | "queue-one";

export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ["allow", "skip", "queue-one"];

/** Compiled expressions, shared by every schedule with the same expression and zone. */
const compiled = new Map<string, CronSlots>();
const COMPILED_CACHE_SIZE = 1_000;

/** The compiled expression of a (valid) cron and time zone. */
export function slotsOf(cron: string, timezone: string): CronSlots {
  const key = `${timezone}\u0000${cron}`;
  let slots = compiled.get(key);
  if (!slots) {
    if (compiled.size >= COMPILED_CACHE_SIZE) compiled.clear();
    slots = new CronSlots(cron, timezone);
    compiled.set(key, slots);
  }
  return slots;
}

export interface PlannedRun {
  /** The slot the run is for (epoch ms). */
  readonly slot: number;
  /** True when the slot was missed (noticed after the grace) and runs because of the policy. */
  readonly catchUp: boolean;
}

export interface SlotPlan {
  /** Runs to create, oldest slot first. */
  readonly runs: PlannedRun[];
  /** Missed slots the policy drops (a lower bound when `skippedAtLeast`). */
  readonly skipped: number;
  readonly skippedAtLeast: boolean;
  /** The cursor after this pass: every slot up to it has been dealt with. */
  readonly cursor: number;
  /** More catch-up runs are due than one pass creates: run another pass at once. */
  readonly more: boolean;
}

export interface PlanInput {
  readonly slots: CronSlots;
  readonly missedRuns: MissedRunPolicy;
  /** For "all": only missed slots at most this old (ms) are run. */
  readonly catchUpWindow: number;
  /** Every slot up to the cursor has been dealt with (run, queued or skipped). */
  readonly cursor: number;
  readonly now: number;
  /** A slot older than this (ms) when noticed is missed. */
  readonly graceMs: number;
  /** When the schedule was last resumed: earlier slots passed during the pause and are missed. */
  readonly resumedAt?: number | null;
  /** Most runs one pass may create. */
  readonly maxRuns: number;
}

/**
 * What to do about the slots in (cursor, now]. Slots within the grace run as normal, on-time
 * runs; older ones are missed and follow the policy: `skip` drops them, `latest` runs the most
 * recent one, `all` runs those inside the catch-up window, oldest first.
 * Returns null when no slot is due (nothing to store).
 */
export function planSlots(input: PlanInput): SlotPlan | null {
  const { slots, cursor, now, maxRuns } = input;
  const first = slots.nextAfter(cursor);
  if (first === null || first > now) return null;
  // Slots strictly before `missedBefore` are missed; slots in [missedBefore, now] are on time.
  // A slot that passed while the schedule was paused is missed however recent it is.
  const missedBefore = Math.max(now - input.graceMs, Math.min(input.resumedAt ?? -Infinity, now));
  const runs: PlannedRun[] = [];
  let skipped = 0;
  if (first < missedBefore) {
    const lastMissed = missedBefore - 1;
    switch (input.missedRuns) {
      case "skip":
        skipped += slots.count(cursor, lastMissed);
        break;
      case "latest": {
        const latest = slots.prevBefore(missedBefore);
        if (latest !== null && latest > cursor) {
          runs.push({ slot: latest, catchUp: true });
          skipped += slots.count(cursor, latest - 1);
        }
        break;
      }
      case "all": {
        // Slots older than the window are dropped; the rest run oldest first, maxRuns per pass.
        const windowStart = now - input.catchUpWindow;
        const keptAfter = Math.max(cursor, windowStart - 1);
        skipped += slots.count(cursor, Math.min(keptAfter, lastMissed));
        const kept = slots.between(keptAfter, lastMissed, maxRuns + 1);
        if (kept.length > maxRuns) {
          const batch = kept.slice(0, maxRuns);
          const last = batch[batch.length - 1] ?? keptAfter;
          return {
            runs: batch.map((slot) => ({ slot, catchUp: true })),
            skipped,
            skippedAtLeast: skipped >= COUNT_CAP,
            cursor: last,
            more: true,
          };
        }
        for (const slot of kept) runs.push({ slot, catchUp: true });
        break;
      }
    }
  }
  const onTime = slots.between(Math.max(cursor, missedBefore - 1), now, maxRuns - runs.length + 1);
  if (onTime.length > maxRuns - runs.length) {
    const batch = onTime.slice(0, maxRuns - runs.length);
    for (const slot of batch) runs.push({ slot, catchUp: false });
    const last = runs[runs.length - 1]?.slot ?? cursor;
    return { runs, skipped, skippedAtLeast: skipped >= COUNT_CAP, cursor: last, more: true };
  }
  for (const slot of onTime) runs.push({ slot, catchUp: false });
  return { runs, skipped, skippedAtLeast: skipped >= COUNT_CAP, cursor: now, more: false };
}
