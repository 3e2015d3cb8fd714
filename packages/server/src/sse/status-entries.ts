/**
 * Status-stream entries as the live streams use them: decoded once when read (validated against
 * the status-event contract), with the frame every subscriber of the entry gets built once.
 * Job events go out as `event: job`, worker events as `event: worker`, sampled HTTP requests as
 * `event: request`; `event.sent` and `api.stats` entries have no live stream.
 */
import {
  type ApiRequestEvent,
  STATUS_EVENT_FIELD,
  type JobEvent,
  type StatusEvent,
  type WorkerEvent,
  statusEventSchema,
} from "@upnext/core";
import { messageFrame, type SseFrame } from "./sse-frame.js";

export type StatusEntry =
  | {
      readonly kind: "job";
      readonly id: string;
      readonly event: JobEvent;
      readonly frame: SseFrame;
      readonly bytes: number;
    }
  | {
      readonly kind: "worker";
      readonly id: string;
      readonly event: WorkerEvent;
      readonly frame: SseFrame;
      readonly bytes: number;
    }
  | {
      readonly kind: "request";
      readonly id: string;
      readonly event: ApiRequestEvent;
      readonly frame: SseFrame;
      readonly bytes: number;
    };

/** What XREAD / XRANGE return for one entry: its id and its flat field list. */
export type RawStreamEntry = [id: string, fields: string[]];

function isWorkerEvent(event: StatusEvent): event is WorkerEvent {
  return event.type.startsWith("worker.");
}

/** The entry as the live streams see it, or undefined for one they skip (invalid, or event.sent). */
export function decodeStatusEntry([id, fields]: RawStreamEntry): StatusEntry | undefined {
  const index = fields.indexOf(STATUS_EVENT_FIELD);
  const json = index >= 0 && index % 2 === 0 ? fields[index + 1] : undefined;
  if (json === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  const result = statusEventSchema.safeParse(parsed);
  if (!result.success) return undefined;
  const event = result.data;
  if (event.type === "event.sent" || event.type === "api.stats") return undefined;
  // The entry's own JSON goes out verbatim: the contract of docs/status-events.md, unknown
  // fields of newer writers included.
  if (event.type === "api.request") {
    const frame = messageFrame("request", id, json);
    return { kind: "request", id, event, frame, bytes: frame.bytes };
  }
  if (isWorkerEvent(event)) {
    const frame = messageFrame("worker", id, json);
    return { kind: "worker", id, event, frame, bytes: frame.bytes };
  }
  const frame = messageFrame("job", id, json);
  return { kind: "job", id, event, frame, bytes: frame.bytes };
}
