/**
 * OpenTelemetry tracing through `@opentelemetry/api` only: spans exist when the application
 * registered an SDK, and cost a few property reads when it did not (the usual case), because
 * every entry point first asks `activeTracer()` and does nothing more when it answers undefined.
 *
 * Trace context travels with the job as one hash field, `trace`: the W3C `traceparent` of the
 * job's `submit` span, followed by a space and the `tracestate` when there is one. Attempts after
 * the first also read `traceFirst`, the first attempt's `run` span, to link to it. See
 * docs/observability.md and docs/decisions/0014-trace-context-on-the-job-hash.md.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  createTraceState,
  isSpanContextValid,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import type { ErrorInfo } from "@upnext/core";

export const TRACER_NAME = "upnext";
const TRACER_VERSION = "0.1.0";

/** The API's no-op provider (what it answers while no SDK is registered), once seen. */
let noopProvider: TracerProvider | undefined;
let cachedProvider: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;

/** The provider behind the API's global proxy (the proxy itself if it has none). */
function delegateOf(provider: TracerProvider): TracerProvider {
  const getDelegate = (provider as { getDelegate?: () => TracerProvider }).getDelegate;
  return typeof getDelegate === "function" ? getDelegate.call(provider) : provider;
}

/**
 * The tracer of the registered SDK, or undefined when none is registered. Checked at each use
 * (an SDK may be registered after a worker starts), without allocating anything.
 */
export function activeTracer(): Tracer | undefined {
  const delegate = delegateOf(trace.getTracerProvider());
  if (delegate === noopProvider) return undefined;
  if (delegate === cachedProvider) return cachedTracer;
  // By name: every copy of the API in a process has its own no-op provider object.
  if (delegate.constructor.name === "NoopTracerProvider") {
    noopProvider = delegate;
    return undefined;
  }
  cachedProvider = delegate;
  cachedTracer = delegate.getTracer(TRACER_NAME, TRACER_VERSION);
  return cachedTracer;
}

// ---- the W3C trace context, as stored on a job ---------------------------------------------

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[^\s]*)?$/;

/** `traceparent`, then ` tracestate` when the span context carries one. */
export function encodeTraceContext(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
  const parent = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
  const state = spanContext.traceState?.serialize();
  return state ? `${parent} ${state}` : parent;
}

/** The remote span context stored by `encodeTraceContext`; undefined for anything invalid. */
export function decodeTraceContext(text: string | null | undefined): SpanContext | undefined {
  if (!text) return undefined;
  const space = text.indexOf(" ");
  const parent = space < 0 ? text : text.slice(0, space);
  const match = TRACEPARENT.exec(parent);
  if (!match) return undefined;
  const [, version, traceId = "", spanId = "", flags = "00", rest] = match;
  // Version ff is invalid; version 00 has nothing after the flags.
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    ...(space >= 0 ? { traceState: createTraceState(text.slice(space + 1)) } : {}),
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

// ---- attributes (OpenTelemetry messaging conventions where they fit) ------------------------

export const ATTR = {
  system: "messaging.system",
  operationType: "messaging.operation.type",
  operationName: "messaging.operation.name",
  destination: "messaging.destination.name",
  messageId: "messaging.message.id",
  attempt: "upnext.job.attempt",
  deliveries: "upnext.job.deliveries",
  parentId: "upnext.job.parent_id",
  rootId: "upnext.job.root_id",
  origin: "upnext.job.origin",
  event: "upnext.event.name",
  status: "upnext.job.status",
  duplicate: "upnext.job.duplicate",
  workerId: "upnext.worker.id",
  queueWaitMs: "upnext.job.queue_wait_ms",
  outcome: "upnext.job.outcome",
  failureReason: "upnext.job.failure_reason",
} as const;

export const MESSAGING_SYSTEM = "upnext";

// ---- run spans ------------------------------------------------------------------------------

/** What a run span needs to know of the claimed job. */
export interface TracedJob {
  readonly id: string;
  readonly function: string;
  readonly attempt: number;
  readonly deliveries: number;
  readonly parentId: string | null;
  readonly rootId: string;
  readonly trace?: string | null | undefined;
  readonly traceFirst?: string | null | undefined;
}

export type RunOutcome = "complete" | "retry" | "failed" | "cancelled" | "handed-back" | "discarded";

/** The span of one attempt (`run <task>`, kind CONSUMER) and the context its handler runs in. */
export class RunSpan {
  readonly context: Context;

  constructor(
    readonly span: Span,
    parent: Context,
  ) {
    this.context = trace.setSpan(parent, span);
  }

  /** This attempt's span context, stored as `traceFirst` when a first attempt is retried. */
  encoded(): string {
    return encodeTraceContext(this.span.spanContext());
  }

  end(outcome: RunOutcome, failure?: { readonly error: ErrorInfo; readonly reason: string }): void {
    this.span.setAttribute(ATTR.outcome, outcome);
    if (failure) {
      this.span.setAttribute(ATTR.failureReason, failure.reason);
      this.span.recordException({
        name: failure.error.name,
        message: failure.error.message,
        ...(failure.error.stack !== undefined ? { stack: failure.error.stack } : {}),
        ...(failure.error.code !== undefined ? { code: failure.error.code } : {}),
      });
      this.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: `${failure.error.name}: ${failure.error.message}`,
      });
    }
    this.span.end();
  }
}

/**
 * Starts the span of one attempt, child of the job's submit span (or, for a job submitted without
 * a trace, of its first attempt), linked to the first attempt when this is a retry.
 */
export function startRunSpan(
  tracer: Tracer,
  job: TracedJob,
  workerId: string,
  queueWaitMs: number,
  startTime: number,
): RunSpan {
  const submitted = decodeTraceContext(job.trace);
  const first = job.attempt > 1 ? decodeTraceContext(job.traceFirst) : undefined;
  const parentSpan = submitted ?? first;
  const parent = parentSpan ? trace.setSpanContext(ROOT_CONTEXT, parentSpan) : ROOT_CONTEXT;
  const links: Link[] = first ? [{ context: first }] : [];
  const attributes: Attributes = {
    [ATTR.system]: MESSAGING_SYSTEM,
    [ATTR.operationType]: "process",
    [ATTR.operationName]: "run",
    [ATTR.destination]: job.function,
    [ATTR.messageId]: job.id,
    [ATTR.attempt]: job.attempt,
    [ATTR.deliveries]: job.deliveries,
    [ATTR.rootId]: job.rootId,
    [ATTR.workerId]: workerId,
    [ATTR.queueWaitMs]: queueWaitMs,
  };
  if (job.parentId !== null) attributes[ATTR.parentId] = job.parentId;
  const span = tracer.startSpan(
    `run ${job.function}`,
    { kind: SpanKind.CONSUMER, attributes, links, startTime },
    parent,
  );
  return new RunSpan(span, parent);
}

/** Runs `fn` with `runSpan` active (or as is, without one). */
export function withRunSpan<T>(runSpan: RunSpan | undefined, fn: () => T): T {
  return runSpan ? context.with(runSpan.context, fn) : fn();
}

// ---- submit spans ---------------------------------------------------------------------------

/** What a submit span needs to know of a job about to be enqueued. */
export interface SubmittedJob {
  readonly id: string;
  readonly function: string;
  readonly parentId: string | null;
  readonly rootId: string;
  readonly origin?: { readonly kind: string; readonly event?: string } | null | undefined;
}

export interface SubmitResultLike {
  readonly created: boolean;
  readonly id: string;
  readonly status: string;
}

/** The `submit <task>` spans (kind PRODUCER) of one enqueue call, one per job. */
export class SubmitSpans {
  private constructor(
    private readonly spans: readonly Span[],
    /** The `trace` field of each job, in order. */
    readonly fields: readonly string[],
  ) {}

  /**
   * Starts one span per job under the active context; undefined when no SDK is registered.
   * When the active context has no span, `fallbackParent` (an HTTP request's incoming
   * `traceparent`, observability/request-trace.ts) is the parent instead.
   */
  static start(jobs: readonly SubmittedJob[], fallbackParent?: string): SubmitSpans | undefined {
    const tracer = activeTracer();
    if (!tracer || jobs.length === 0) return undefined;
    const active = context.active();
    const remote = trace.getSpan(active) === undefined ? decodeTraceContext(fallbackParent) : undefined;
    const parent = remote ? trace.setSpanContext(active, remote) : active;
    const spans = jobs.map((job) => {
      const attributes: Attributes = {
        [ATTR.system]: MESSAGING_SYSTEM,
        [ATTR.operationType]: "send",
        [ATTR.operationName]: "submit",
        [ATTR.destination]: job.function,
        [ATTR.messageId]: job.id,
        [ATTR.rootId]: job.rootId,
      };
      if (job.parentId !== null) attributes[ATTR.parentId] = job.parentId;
      if (job.origin) attributes[ATTR.origin] = job.origin.kind;
      if (job.origin?.event !== undefined) attributes[ATTR.event] = job.origin.event;
      return tracer.startSpan(`submit ${job.function}`, { kind: SpanKind.PRODUCER, attributes }, parent);
    });
    return new SubmitSpans(
      spans,
      spans.map((span) => encodeTraceContext(span.spanContext())),
    );
  }

  /** Ends every span with what the enqueue answered for its job. */
  end(results: readonly SubmitResultLike[]): void {
    this.spans.forEach((span, index) => {
      const result = results[index];
      if (result) {
        span.setAttribute(ATTR.status, result.status);
        if (!result.created) {
          // An idempotency key that already pointed at a job: that job is what runs.
          span.setAttribute(ATTR.duplicate, true);
          span.setAttribute(ATTR.messageId, result.id);
        }
      }
      span.end();
    });
  }

  /** Ends every span as failed: nothing was enqueued. */
  fail(error: unknown): void {
    const exception =
      error instanceof Error
        ? error
        : { name: "Error", message: typeof error === "string" ? error : "enqueue failed" };
    for (const span of this.spans) {
      span.recordException(exception);
      span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
      span.end();
    }
  }
}
