/**
 * The trace context of the HTTP request being handled, for jobs submitted while handling it
 * (docs/http-apis.md, "Trace context"). The `upnext/http` middlewares run each request inside
 * `runInRequest`; `enqueueJobs` (sdk/job-submitter.ts) reads `currentRequestTrace()`:
 * - with an OpenTelemetry SDK but no active span (no HTTP instrumentation), the submit spans
 *   become children of the request's incoming `traceparent`;
 * - without an SDK, the job's `trace` field is the request's `traceparent`, so the job's runs
 *   continue the caller's trace in any process that does record spans.
 * A request without a `traceparent` header gets a new trace id the first time a job needs one;
 * the request's sampled event then carries the same id.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

export class RequestTrace {
  private value: string | undefined;

  constructor(header: string | undefined) {
    const match = header === undefined ? null : TRACEPARENT.exec(header.trim().toLowerCase());
    if (match && match[1] !== ZERO_TRACE && match[2] !== ZERO_SPAN) this.value = match[0];
  }

  /** The incoming (or generated) traceparent, if any so far. */
  get traceparent(): string | undefined {
    return this.value;
  }

  /** The trace id of the traceparent, if any so far. */
  get traceId(): string | undefined {
    return this.value?.slice(3, 35);
  }

  /** The traceparent, generated (sampled) when the request came without one. */
  ensure(): string {
    this.value ??= `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
    return this.value;
  }
}

const storage = new AsyncLocalStorage<RequestTrace>();

/** Runs `fn` (the rest of the request's handling) with `trace` as the current request trace. */
export function runInRequest<T>(trace: RequestTrace, fn: () => T): T {
  return storage.run(trace, fn);
}

export function currentRequestTrace(): RequestTrace | undefined {
  return storage.getStore();
}
