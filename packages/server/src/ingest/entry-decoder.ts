/**
 * Turns one status-stream entry into a typed event, or says exactly why it is not one. What is
 * not a valid event goes to the dead-letter stream with that reason; nothing here throws.
 */
import {
  type ApiEvent,
  type EventSentEvent,
  type JobEvent,
  STATUS_EVENT_FIELD,
  type WorkerEvent,
  isValidJobId,
  isValidName,
  isValidWorkerId,
  statusEventSchema,
} from "@upnext/core";

export const INVALID_REASONS = ["missing_field", "invalid_json", "invalid_event"] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

export type DecodedEntry =
  | { readonly kind: "job"; readonly id: string; readonly event: JobEvent }
  | { readonly kind: "other"; readonly id: string; readonly event: WorkerEvent | EventSentEvent }
  /** HTTP request tracking (docs/http-apis.md), stored by store/api-history-writer.ts. */
  | { readonly kind: "api"; readonly id: string; readonly event: ApiEvent }
  | {
      readonly kind: "invalid";
      readonly id: string;
      readonly reason: InvalidReason;
      readonly error: string;
      /** The entry's fields as they were, for the dead-letter record. */
      readonly raw: string;
    }
  /** The entry was trimmed from the stream (MAXLEN) while it was pending: nothing to read. */
  | { readonly kind: "gone"; readonly id: string };

/** Longest validation message kept (a zod error on a huge event can be long). */
const MAX_ERROR_LENGTH = 2_000;

export function decodeEntry(id: string, fields: readonly string[] | null): DecodedEntry {
  if (fields === null) return { kind: "gone", id };
  const raw = rawPayload(fields);
  const index = fieldIndex(fields);
  if (index < 0) {
    return {
      kind: "invalid",
      id,
      reason: "missing_field",
      error: `the entry has no "${STATUS_EVENT_FIELD}" field`,
      raw,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(fields[index + 1] ?? "");
  } catch (error) {
    return { kind: "invalid", id, reason: "invalid_json", error: messageOf(error), raw };
  }
  const parsed = statusEventSchema.safeParse(json);
  if (!parsed.success) {
    const error = parsed.error.issues
      .map((issue) => `${issue.path.join(".") || "(event)"}: ${issue.message}`)
      .join("; ");
    return { kind: "invalid", id, reason: "invalid_event", error: truncate(error), raw };
  }
  const event = parsed.data;
  if (event.type === "api.stats" || event.type === "api.request") return { kind: "api", id, event };
  if (!("jobId" in event)) return { kind: "other", id, event };
  const problem = identityProblem(event);
  if (problem !== undefined) return { kind: "invalid", id, reason: "invalid_event", error: problem, raw };
  return { kind: "job", id, event };
}

/**
 * Ids and names become primary keys and index entries: they must have the formats the rest of
 * the system gives them (names.ts), so a forged or corrupt one cannot poison a batch.
 */
function identityProblem(event: JobEvent): string | undefined {
  if (!isValidJobId(event.jobId)) return `jobId: ${JSON.stringify(event.jobId)} is not a job id`;
  if (!isValidJobId(event.rootId)) return `rootId: ${JSON.stringify(event.rootId)} is not a job id`;
  if (event.parentId !== null && !isValidJobId(event.parentId)) {
    return `parentId: ${JSON.stringify(event.parentId)} is not a job id`;
  }
  if (!isValidName(event.function))
    return `function: ${JSON.stringify(event.function)} is not a function name`;
  if (event.workerId !== null && !isValidWorkerId(event.workerId)) {
    return `workerId: ${JSON.stringify(event.workerId)} is not a worker id`;
  }
  return undefined;
}

function fieldIndex(fields: readonly string[]): number {
  for (let index = 0; index < fields.length - 1; index += 2) {
    if (fields[index] === STATUS_EVENT_FIELD) return index;
  }
  return -1;
}

/** The payload as it was: the event's JSON text when there is one, else every field. */
export function rawPayload(fields: readonly string[]): string {
  const index = fieldIndex(fields);
  if (index >= 0 && fields.length === 2) return fields[index + 1] ?? "";
  return JSON.stringify(fields);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function truncate(text: string): string {
  return text.length <= MAX_ERROR_LENGTH ? text : `${text.slice(0, MAX_ERROR_LENGTH)}…`;
}
