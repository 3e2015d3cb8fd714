/** Status events for the tests, shaped exactly as docs/status-events.md defines them. */
import type { JobEvent, JobEventData, JobEventType } from "@upnext/core";

export const T0 = Date.parse("2026-01-01T12:00:00.000Z");

interface EnvelopeOverrides {
  readonly function?: string;
  readonly attempt?: number;
  readonly parentId?: string | null;
  readonly rootId?: string;
  readonly workerId?: string | null;
  readonly at?: number;
  readonly tags?: Record<string, string>;
}

export function jobEvent<T extends JobEventType>(
  type: T,
  jobId: string,
  data: JobEventData<T>,
  overrides: EnvelopeOverrides = {},
): JobEvent {
  return {
    type,
    jobId,
    function: overrides.function ?? "send-email",
    attempt: overrides.attempt ?? 0,
    parentId: overrides.parentId ?? null,
    rootId: overrides.rootId ?? jobId,
    workerId: overrides.workerId ?? null,
    at: overrides.at ?? T0,
    ...(overrides.tags === undefined ? {} : { tags: overrides.tags }),
    data,
  } as JobEvent;
}

export function submitted(jobId: string, overrides: EnvelopeOverrides = {}): JobEvent {
  return jobEvent(
    "queued",
    jobId,
    { from: "submit", input: { to: "a@example.com" }, maxAttempts: 3, priority: 0, idempotencyKey: null },
    overrides,
  );
}

export function started(jobId: string, overrides: EnvelopeOverrides = {}): JobEvent {
  const at = overrides.at ?? T0 + 1_000;
  return jobEvent(
    "started",
    jobId,
    { startedAt: at, queueWaitMs: 1_000, deliveries: 1 },
    { attempt: 1, workerId: "worker-1", ...overrides, at },
  );
}

export function progressed(jobId: string, progress: number, overrides: EnvelopeOverrides = {}): JobEvent {
  return jobEvent(
    "progress",
    jobId,
    { progress, message: `at ${progress}` },
    { attempt: 1, workerId: "worker-1", at: T0 + 2_000, ...overrides },
  );
}

export function completed(jobId: string, overrides: EnvelopeOverrides = {}): JobEvent {
  return jobEvent(
    "completed",
    jobId,
    { result: { ok: true }, durationMs: 2_000 },
    { attempt: 1, workerId: "worker-1", at: T0 + 3_000, ...overrides },
  );
}

export function failed(jobId: string, overrides: EnvelopeOverrides = {}): JobEvent {
  return jobEvent(
    "failed",
    jobId,
    {
      error: { name: "Error", message: "smtp down", stack: "Error: smtp down\n    at send" },
      reason: "exception",
      durationMs: 500,
    },
    { attempt: 1, workerId: "worker-1", at: T0 + 3_000, ...overrides },
  );
}

export function cancelled(jobId: string, overrides: EnvelopeOverrides = {}): JobEvent {
  return jobEvent("cancelled", jobId, { previous: "active" }, { attempt: 1, at: T0 + 2_500, ...overrides });
}

export function retrying(jobId: string, overrides: EnvelopeOverrides = {}): JobEvent {
  const at = overrides.at ?? T0 + 3_000;
  return jobEvent(
    "retrying",
    jobId,
    {
      error: { name: "Error", message: "try again" },
      reason: "exception",
      retryAt: at + 5_000,
      delayMs: 5_000,
      nextAttempt: 2,
    },
    { attempt: 1, workerId: "worker-1", ...overrides, at },
  );
}
