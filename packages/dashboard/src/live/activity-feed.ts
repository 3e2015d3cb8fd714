/**
 * The live feed the Activity page shows: the most recent job events, newest first, bounded. An
 * external store (not a query): nothing on the server to refetch, it is only what arrived.
 */
import type { JobEvent } from "@upnext/core";

export const ACTIVITY_FEED_MAX = 500;

export interface ActivityEntry {
  readonly streamId: string;
  readonly event: JobEvent;
}

export class ActivityFeed {
  private entries: readonly ActivityEntry[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(private readonly max = ACTIVITY_FEED_MAX) {}

  /** Adds entries given oldest first. */
  push(batch: readonly ActivityEntry[]): void {
    if (batch.length === 0) return;
    const newestFirst = [...batch].reverse();
    this.entries = [...newestFirst, ...this.entries].slice(0, this.max);
    for (const listener of this.listeners) listener();
  }

  clear(): void {
    this.entries = [];
    for (const listener of this.listeners) listener();
  }

  snapshot = (): readonly ActivityEntry[] => this.entries;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };
}
