/**
 * What the three framework adapters share: the start of a request (its clock, its trace
 * context) and its end (route, status, duration, request id handed to the tracker). Only the
 * route template ever reaches the tracker, never the URL, a body or a header other than the
 * request id and `traceparent`.
 */
import { trace } from "@opentelemetry/api";
import { performance } from "node:perf_hooks";
import { RequestTrace, runInRequest } from "../runtime/observability/request-trace.js";
import { activeTracer } from "../runtime/observability/tracing.js";
import type { ApiTracker } from "./api-tracker.js";
import { UNMATCHED_ROUTE } from "./route-stats.js";

export const REQUEST_ID_HEADER = "x-request-id";

/** One header value as a string (first of several). */
export function headerValue(value: string | readonly string[] | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === "string" ? value : value[0];
}

export class RequestStart {
  readonly startedAt = performance.now();
  readonly trace: RequestTrace;
  /** The trace of the active OpenTelemetry span (HTTP instrumentation), when there is one. */
  private readonly spanTraceId: string | undefined;

  constructor(traceparent: string | undefined) {
    this.trace = new RequestTrace(traceparent);
    this.spanTraceId =
      activeTracer() === undefined ? undefined : trace.getActiveSpan()?.spanContext().traceId;
  }

  /** Runs the rest of the request with its trace context, when the tracker propagates it. */
  run<T>(tracker: ApiTracker, next: () => T): T {
    return tracker.propagateTrace ? runInRequest(this.trace, next) : next();
  }

  finish(
    tracker: ApiTracker,
    method: string,
    route: string | undefined,
    status: number,
    requestId: string | undefined,
  ): void {
    tracker.record({
      method: method.toUpperCase(),
      route: route === undefined || route === "" ? UNMATCHED_ROUTE : route,
      status,
      durationMs: performance.now() - this.startedAt,
      requestId: requestId ?? null,
      traceId: () => this.spanTraceId ?? this.trace.traceId ?? null,
    });
  }
}
