/**
 * A job as the store keeps it: one field per property (`fn`, `status`, `attempt`, `input` as
 * JSON, ...), written field by field, never as one JSON document read, changed and written back.
 * The field names are the store's, whichever backend holds them; this is how they decode.
 */
import { isFailureReason, isJobStatus, type ErrorInfo, type JobOrigin, type JobSnapshot } from "@upnext/core";

export function parseJson<T>(text: string | undefined | null, fallback: T): T {
  if (text === undefined || text === null || text === "") return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function numberOrNull(text: string | undefined | null): number | null {
  if (text === undefined || text === null || text === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** A job from its stored fields (every field of its record, by name); undefined when it has none. */
export function decodeJobRecord(id: string, hash: Readonly<Record<string, string>>): JobSnapshot | undefined {
  const status = hash.status;
  if (!isJobStatus(status)) return undefined;
  const reason = hash.reason;
  const snapshot: JobSnapshot = {
    id,
    function: hash.fn ?? "",
    status,
    input: parseJson<unknown>(hash.input, null),
    attempt: Number(hash.attempt ?? 0),
    maxAttempts: Number(hash.maxAttempts ?? 1),
    deliveries: Number(hash.deliveries ?? 0),
    priority: Number(hash.priority ?? 0),
    parentId: hash.parentId ?? null,
    rootId: hash.rootId ?? id,
    idempotencyKey: hash.idem ?? null,
    createdAt: Number(hash.createdAt ?? 0),
    scheduledAt: numberOrNull(hash.scheduledAt),
    startedAt: numberOrNull(hash.startedAt),
    finishedAt: numberOrNull(hash.finishedAt),
    workerId: hash.workerId ?? null,
    // A completed job is done, whatever its last coalesced progress report said.
    progress: status === "complete" ? 1 : Number(hash.progress ?? 0),
    failureReason: isFailureReason(reason) ? reason : null,
    tags: parseJson<Record<string, string>>(hash.tags, {}),
    metadata: parseJson<Record<string, unknown>>(hash.metadata, {}),
    timeoutMs: numberOrNull(hash.timeout),
    origin: parseJson<JobOrigin | null>(hash.origin, null),
    ...(hash.result !== undefined ? { result: parseJson<unknown>(hash.result, null) } : {}),
    ...(hash.error !== undefined
      ? { error: parseJson<ErrorInfo>(hash.error, { name: "Error", message: hash.error }) }
      : {}),
    ...(hash.cancelReason !== undefined ? { cancelReason: hash.cancelReason } : {}),
  };
  return snapshot;
}
