/**
 * How a job is laid out in its Redis hash: field-level writes only, never a JSON document
 * that is read, modified and written back.
 */
import type { JobOrigin } from "@upnext/core";
import { numberOrNull, parseJson } from "../job-record.js";
import type { ClaimedJob, NewJob, ParentRef } from "../queue-backend.js";

/** Field/value pairs of a new job's hash (status is set by the enqueue script). */
export function newJobFields(job: NewJob): string[] {
  const fields = [
    "fn",
    job.function,
    "input",
    job.input,
    "attempt",
    "0",
    "maxAttempts",
    String(job.maxAttempts),
    "maxDeliveries",
    String(job.maxDeliveries),
    "priority",
    String(job.priority),
    "rootId",
    job.rootId,
    "createdAt",
    String(job.createdAt),
  ];
  if (job.parentId !== null) fields.push("parentId", job.parentId);
  if (job.idempotencyKey !== null) fields.push("idem", job.idempotencyKey);
  if (job.runAt !== null) fields.push("scheduledAt", String(job.runAt));
  if (job.timeoutMs !== null) fields.push("timeout", String(job.timeoutMs));
  if (Object.keys(job.tags).length > 0) fields.push("tags", JSON.stringify(job.tags));
  if (Object.keys(job.metadata).length > 0) fields.push("metadata", JSON.stringify(job.metadata));
  if (job.origin) fields.push("origin", JSON.stringify(job.origin));
  if (job.prioScore !== undefined && job.prioScore !== null) fields.push("prioScore", String(job.prioScore));
  if (job.rateKey !== undefined && job.rateKey !== null) fields.push("rateKey", job.rateKey);
  if (job.trace) fields.push("trace", job.trace);
  if (job.dependsOn && job.dependsOn.length > 0) {
    fields.push(
      "parents",
      JSON.stringify(job.dependsOn),
      "pendingParents",
      String(job.dependsOn.length),
      "onParentFailure",
      job.onParentFailure ?? "fail",
    );
  }
  return fields;
}

type Cell = string | null | undefined;

/**
 * Decodes one row of the claim scripts' reply: {id, token, attempt, deliveries, ...CLAIM_FIELDS},
 * then, for traced claims, trace and traceFirst.
 */
export function decodeClaimedJob(fn: string, row: readonly unknown[], claimedAt: number): ClaimedJob {
  const cell = (index: number): Cell => {
    const value = row[index];
    return typeof value === "string" ? value : typeof value === "number" ? String(value) : null;
  };
  const checkpoint = cell(13);
  const origin = cell(17);
  const parents = cell(18);
  return {
    id: cell(0) ?? "",
    function: fn,
    token: cell(1) ?? "0",
    attempt: Number(cell(2) ?? 1),
    deliveries: Number(cell(3) ?? 1),
    input: cell(4) ?? "null",
    maxAttempts: Number(cell(5) ?? 1),
    parentId: cell(6) ?? null,
    rootId: cell(7) ?? cell(0) ?? "",
    tags: parseJson<Record<string, string>>(cell(8), {}),
    metadata: parseJson<Record<string, unknown>>(cell(9), {}),
    timeoutMs: numberOrNull(cell(10)),
    createdAt: Number(cell(11) ?? claimedAt),
    scheduledAt: numberOrNull(cell(12)),
    checkpoint: checkpoint ? { state: checkpoint, version: Number(cell(14) ?? 1) } : null,
    priority: Number(cell(15) ?? 0),
    idempotencyKey: cell(16) ?? null,
    origin: origin ? parseJson<JobOrigin | null>(origin, null) : null,
    parents: parents ? parseJson<ParentRef[]>(parents, []) : [],
    claimedAt,
    ...(row.length > 19 ? { trace: cell(19) ?? null, traceFirst: cell(20) ?? null } : {}),
  };
}
