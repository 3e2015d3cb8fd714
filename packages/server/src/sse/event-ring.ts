/**
 * The last messages a hub sent, bounded by count and by bytes, so a client that reconnects
 * shortly after a drop is replayed what it missed from memory. The ring knows the id up to which
 * it has forgotten (its floor): it covers a resume point exactly when the point is at or after it.
 */
import { compareStreamIds } from "./stream-ids.js";

export interface RingEntry {
  readonly id: string;
  readonly bytes: number;
}

export class EventRing<T extends RingEntry> {
  private entries: T[] = [];
  private head = 0;
  private totalBytes = 0;
  private floorId: string | undefined;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  /** Starts the ring at a position: everything after it will be pushed. */
  reset(floor: string): void {
    this.entries = [];
    this.head = 0;
    this.totalBytes = 0;
    this.floorId = floor;
  }

  get floor(): string | undefined {
    return this.floorId;
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  push(entry: T): void {
    this.entries.push(entry);
    this.totalBytes += entry.bytes;
    while (this.size > this.maxEntries || (this.totalBytes > this.maxBytes && this.size > 1)) {
      const dropped = this.entries[this.head];
      if (dropped === undefined) break;
      this.head += 1;
      this.totalBytes -= dropped.bytes;
      this.floorId = dropped.id;
    }
    // Compact now and then instead of shifting on every eviction.
    if (this.head > this.maxEntries) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** Whether every entry after `position` is still here. */
  covers(position: string): boolean {
    return this.floorId !== undefined && compareStreamIds(position, this.floorId) >= 0;
  }

  /** The entries after `position`, oldest first (call only when `covers(position)`). */
  after(position: string): T[] {
    const out: T[] = [];
    for (let index = this.entries.length - 1; index >= this.head; index--) {
      const entry = this.entries[index];
      if (entry === undefined || compareStreamIds(entry.id, position) <= 0) break;
      out.push(entry);
    }
    return out.reverse();
  }
}
