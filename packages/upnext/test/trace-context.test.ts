/**
 * The W3C trace context as a job stores it (`traceparent[ tracestate]`), and the worker options
 * that control tracing and metrics sampling. No Redis, no SDK.
 */
import { TraceFlags, createTraceState } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { InvalidOptionError, Worker } from "../src/index.js";
import {
  activeTracer,
  decodeTraceContext,
  encodeTraceContext,
} from "../src/runtime/observability/tracing.js";
import { testConfig } from "./helpers/worker.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";

describe("the stored trace context", () => {
  it("round-trips a sampled span context with its tracestate", () => {
    const stored = encodeTraceContext({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState("vendor=a1,other=b2"),
    });
    expect(stored).toBe(`00-${TRACE_ID}-${SPAN_ID}-01 vendor=a1,other=b2`);
    const decoded = decodeTraceContext(stored);
    expect(decoded).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, isRemote: true });
    expect(decoded?.traceState?.serialize()).toBe("vendor=a1,other=b2");
  });

  it("keeps an unsampled context unsampled, and stores no tracestate when there is none", () => {
    const stored = encodeTraceContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.NONE });
    expect(stored).toBe(`00-${TRACE_ID}-${SPAN_ID}-00`);
    expect(decodeTraceContext(stored)).toMatchObject({ traceFlags: 0 });
    expect(decodeTraceContext(stored)?.traceState).toBeUndefined();
  });

  it.each([
    ["nothing", ""],
    ["garbage", "not-a-traceparent"],
    ["version ff", `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ["an all-zero trace id", `00-${"0".repeat(32)}-${SPAN_ID}-01`],
    ["an all-zero span id", `00-${TRACE_ID}-${"0".repeat(16)}-01`],
    ["a short trace id", `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ["upper-case hex", `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ["extra fields on version 00", `00-${TRACE_ID}-${SPAN_ID}-01-extra`],
  ])("ignores %s", (_what, stored) => {
    expect(decodeTraceContext(stored)).toBeUndefined();
  });

  it("accepts a future version with extra fields", () => {
    expect(decodeTraceContext(`01-${TRACE_ID}-${SPAN_ID}-01-what-comes-next`)).toMatchObject({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
    });
  });

  it("sees no tracer while no SDK is registered", () => {
    expect(activeTracer()).toBeUndefined();
  });
});

describe("worker options", () => {
  it("checks tracing and queueDepthInterval", () => {
    const config = testConfig();
    expect(() => new Worker({ config, tracing: "yes" as unknown as boolean })).toThrow(InvalidOptionError);
    expect(() => new Worker({ config, queueDepthInterval: "1ms" })).toThrow(InvalidOptionError);
    expect(() => new Worker({ config, queueDepthInterval: "soon" })).toThrow(InvalidOptionError);
    expect(new Worker({ config, tracing: false, queueDepthInterval: "10s" }).name).toBe("worker");
  });

  it("refuses a health port out of range", async () => {
    const worker = new Worker({ config: testConfig() });
    await expect(worker.serveHealth({ port: 70_000 })).rejects.toThrow(InvalidOptionError);
    expect(worker.healthEndpoint).toBeUndefined();
  });
});
