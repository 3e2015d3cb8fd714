/**
 * Resuming a status-fed stream from a client's Last-Event-ID: from the in-memory ring when it
 * still covers the id; else from the stream itself (XRANGE, at most RESUME_MAX_ENTRIES), which
 * works only when the stream still holds the id (nothing trimmed in between); else a reset.
 */
import type { EventRing } from "./event-ring.js";
import { type RawStreamEntry, type StatusEntry, decodeStatusEntry } from "./status-entries.js";
import { maxStreamId } from "./stream-ids.js";

export type ResumePlan =
  | { readonly kind: "live" }
  | { readonly kind: "replay"; readonly from: string; readonly entries: readonly StatusEntry[] }
  | { readonly kind: "reset"; readonly reason: string };

/** XRANGE <key> <start> + COUNT <count>: the entries from `start` (inclusive). */
export type ReadRange = (start: string, count: number) => Promise<RawStreamEntry[]>;

export async function planResume(
  lastEventId: string | undefined,
  ring: EventRing<StatusEntry>,
  readRange: ReadRange,
  maxEntries: number,
): Promise<ResumePlan> {
  if (lastEventId === undefined) return { kind: "live" };
  if (ring.covers(lastEventId)) return { kind: "replay", from: lastEventId, entries: [] };
  // One more than allowed tells "exactly the limit" from "over it"; the first is the id itself.
  const raw = await readRange(lastEventId, maxEntries + 2);
  if (raw[0]?.[0] !== lastEventId) {
    return {
      kind: "reset",
      reason: `The stream no longer holds event ${lastEventId}: events after it may be gone.`,
    };
  }
  if (raw.length - 1 > maxEntries) {
    return {
      kind: "reset",
      reason: `More than ${maxEntries} events happened after ${lastEventId}; refetch instead of replaying them.`,
    };
  }
  const entries: StatusEntry[] = [];
  for (const item of raw.slice(1)) {
    const entry = decodeStatusEntry(item);
    if (entry !== undefined) entries.push(entry);
  }
  // Skipped (undecodable) entries still move the position: nothing before it needs replaying.
  const last = raw[raw.length - 1]?.[0] ?? lastEventId;
  return { kind: "replay", from: last, entries };
}

/**
 * Offers a replay plan's entries, then the ring's entries after them. Returns the position the
 * subscriber is caught up to, or undefined when the ring moved past it meanwhile (a gap: reset).
 */
export function applyReplay(
  plan: Extract<ResumePlan, { kind: "replay" }>,
  ring: EventRing<StatusEntry>,
  offer: (entry: StatusEntry) => void,
): string | undefined {
  for (const entry of plan.entries) offer(entry);
  let position = plan.from;
  if (!ring.covers(position)) return undefined;
  for (const entry of ring.after(position)) {
    offer(entry);
    position = maxStreamId(position, entry.id);
  }
  return position;
}
