/**
 * The `data` of an `event: job` message is a status event exactly as docs/status-events.md
 * defines it (the server validated it when it read the stream). The dashboard checks only the
 * envelope it relies on, so a newer server's extra types or fields do not break it.
 */
import type { JobEvent } from "@upnext/core";

// A record over the union, so the compiler fails here when core adds an event type (and the
// dashboard does not pull core's zod schemas into its bundle just for the list).
const KNOWN: Readonly<Record<JobEvent["type"], true>> = {
  queued: true,
  scheduled: true,
  waiting: true,
  started: true,
  progress: true,
  checkpoint: true,
  log: true,
  metric: true,
  retrying: true,
  completed: true,
  failed: true,
  cancelled: true,
  "dead-lettered": true,
};
const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.keys(KNOWN));

export function decodeJobEvent(data: string): JobEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const event = value as Record<string, unknown>;
  if (
    typeof event.type !== "string" ||
    !KNOWN_TYPES.has(event.type) ||
    typeof event.jobId !== "string" ||
    typeof event.function !== "string" ||
    typeof event.rootId !== "string" ||
    typeof event.attempt !== "number" ||
    typeof event.at !== "number" ||
    typeof event.data !== "object" ||
    event.data === null
  ) {
    return undefined;
  }
  return value as JobEvent;
}
