/**
 * OpenTelemetry tracing with the real SDK (BasicTracerProvider, InMemorySpanExporter,
 * SimpleSpanProcessor, the AsyncLocalStorage context manager) and the real Redis: one trace across
 * a job tree (children, a DAG dependent, an event handler, a cron run's children), retries linked
 * to the first attempt, errors on the span, an HTTP request's context carried into its job, and
 * nothing at all without an SDK or with `tracing: false`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SpanKind, SpanStatusCode, context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activeTracer } from "../src/runtime/observability/tracing.js";
import { defineEvent, type Worker } from "../src/index.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { testWorker } from "./helpers/worker.js";

const namespace = testNamespace("tracing");
const redis = redisClient();
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
const workers: Worker[] = [];

function worker(name: string, options: Parameters<typeof testWorker>[1] = {}): Worker {
  const created = testWorker(namespace, { name, concurrency: 8, ...options });
  workers.push(created);
  return created;
}

/** The hash field the enqueue path writes the trace context to. */
async function traceField(fn: string, jobId: string): Promise<string | null> {
  return redis.hget(`${namespace}:{${fn}}:job:${jobId}`, "trace");
}

function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans();
}

/** The finished span named `name` for job `jobId` (and `attempt`, for runs); waits for it. */
function spanOf(name: string, jobId: string, attempt?: number): Promise<ReadableSpan> {
  return eventually(
    () =>
      spans().find(
        (span) =>
          span.name === name &&
          span.attributes["messaging.message.id"] === jobId &&
          (attempt === undefined || span.attributes["upnext.job.attempt"] === attempt),
      ),
    `span '${name}' of job ${jobId}${attempt === undefined ? "" : ` attempt ${attempt}`}`,
  );
}

function idOf(span: { spanContext(): { traceId: string; spanId: string } }): {
  traceId: string;
  spanId: string;
} {
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

afterAll(async () => {
  for (const each of workers) await each.stop();
  trace.disable();
  context.disable();
  await provider.shutdown();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("without an OpenTelemetry SDK", () => {
  const plain = worker("plain");
  const echo = plain.task("plain-echo", {}, (input: number) => input);

  beforeAll(async () => {
    await plain.start();
  });

  it("records nothing and stores no trace context", async () => {
    expect(activeTracer()).toBeUndefined();
    const ref = await echo.submit(1);
    expect(await ref.result({ timeout: "5s" })).toBe(1);
    expect(await traceField("plain-echo", ref.id)).toBeNull();
    expect(spans()).toEqual([]);
  });
});

describe("with the OpenTelemetry SDK registered", () => {
  const tracer = () => trace.getTracer("tracing-test");
  const orderPlaced = defineEvent<{ orderId: string }>("trace-order.placed");

  const tree = worker("tree");
  const child = tree.task("trace-child", {}, (input: { n: number }) => input.n * 2);
  tree.on(orderPlaced, { name: "trace-on-order" }, (payload) => `noted ${payload.orderId}`);
  const parent = tree.task("trace-parent", {}, async (input: { orderId: string }) => {
    const first = await child.submit({ n: 1 });
    // A DAG dependent: it runs once `first` has completed.
    const second = await child.submit({ n: 2 }, { dependsOn: [first] });
    const sent = await orderPlaced.send({ orderId: input.orderId }, { connection: tree });
    const results = [await first.result({ timeout: "10s" }), await second.result({ timeout: "10s" })];
    return { children: [first.id, second.id], handlerJob: sent.jobs[0]?.id ?? null, results };
  });

  let flakyRuns = 0;
  const flaky = tree.task(
    "trace-flaky",
    { retries: 2, backoff: { type: "fixed", delay: "10ms" } },
    (_input: null, ctx) => {
      flakyRuns++;
      if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} fails`);
      return "third time lucky";
    },
  );
  const broken = tree.task("trace-broken", {}, () => {
    throw new TypeError("always broken");
  });

  const cronChildren: string[] = [];
  tree.cron("trace-cron", "* * * * * *", {}, async () => {
    if (cronChildren.length > 0) return null;
    const ref = await child.submit({ n: 10 });
    cronChildren.push(ref.id);
    return ref.id;
  });

  const off = worker("off", { tracing: false });
  const offEcho = off.task("trace-off-echo", {}, (input: number) => input);

  beforeAll(async () => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
    await Promise.all([tree.start(), off.start()]);
  });

  it("puts a parent, its children, a DAG dependent and an event handler's job in one trace", async () => {
    const root = tracer().startSpan("test-root");
    const ref = await context.with(trace.setSpan(context.active(), root), () =>
      parent.submit({ orderId: "o-1" }),
    );
    root.end();
    const result = await ref.result({ timeout: "15s" });
    expect(result.results).toEqual([2, 4]);
    const handlerJob = result.handlerJob;
    if (handlerJob === null) throw new Error("the event reached no handler");
    const [firstId = "", secondId = ""] = result.children;

    const rootId = idOf(root);
    const submitParent = await spanOf("submit trace-parent", ref.id);
    const runParent = await spanOf("run trace-parent", ref.id);
    const submitFirst = await spanOf("submit trace-child", firstId);
    const runFirst = await spanOf("run trace-child", firstId);
    const submitSecond = await spanOf("submit trace-child", secondId);
    const runSecond = await spanOf("run trace-child", secondId);
    const submitHandler = await spanOf("submit trace-on-order", handlerJob);
    const runHandler = await spanOf("run trace-on-order", handlerJob);
    const whole = [
      submitParent,
      runParent,
      submitFirst,
      runFirst,
      submitSecond,
      runSecond,
      submitHandler,
      runHandler,
    ];

    for (const span of whole) expect(span.spanContext().traceId).toBe(rootId.traceId);
    expect(parentOf(submitParent)).toBe(rootId.spanId);
    expect(parentOf(runParent)).toBe(idOf(submitParent).spanId);
    for (const submitted of [submitFirst, submitSecond, submitHandler])
      expect(parentOf(submitted)).toBe(idOf(runParent).spanId);
    expect(parentOf(runFirst)).toBe(idOf(submitFirst).spanId);
    expect(parentOf(runSecond)).toBe(idOf(submitSecond).spanId);
    expect(parentOf(runHandler)).toBe(idOf(submitHandler).spanId);

    expect(submitParent.kind).toBe(SpanKind.PRODUCER);
    expect(submitParent.attributes).toMatchObject({
      "messaging.system": "upnext",
      "messaging.operation.type": "send",
      "messaging.destination.name": "trace-parent",
      "messaging.message.id": ref.id,
      "upnext.job.status": "queued",
    });
    expect(submitSecond.attributes["upnext.job.status"]).toBe("waiting");
    expect(submitHandler.attributes).toMatchObject({
      "upnext.job.origin": "event",
      "upnext.event.name": "trace-order.placed",
    });
    expect(runParent.kind).toBe(SpanKind.CONSUMER);
    expect(runParent.attributes).toMatchObject({
      "messaging.system": "upnext",
      "messaging.operation.type": "process",
      "messaging.destination.name": "trace-parent",
      "messaging.message.id": ref.id,
      "upnext.job.attempt": 1,
      "upnext.worker.id": tree.workerId,
      "upnext.job.outcome": "complete",
    });
    expect(runParent.attributes["upnext.job.queue_wait_ms"]).toEqual(expect.any(Number));
    expect(runFirst.attributes).toMatchObject({
      "upnext.job.parent_id": ref.id,
      "upnext.job.root_id": ref.id,
    });
    expect(runParent.status.code).not.toBe(SpanStatusCode.ERROR);
    // The job carries its submit span's context.
    expect(await traceField("trace-parent", ref.id)).toBe(
      `00-${rootId.traceId}-${idOf(submitParent).spanId}-01`,
    );
  });

  it("records each retry as its own span, linked to the first attempt, with the error on the span", async () => {
    const ref = await flaky.submit(null);
    expect(await ref.result({ timeout: "10s" })).toBe("third time lucky");
    expect(flakyRuns).toBe(3);
    const submit = await spanOf("submit trace-flaky", ref.id);
    const first = await spanOf("run trace-flaky", ref.id, 1);
    const second = await spanOf("run trace-flaky", ref.id, 2);
    const third = await spanOf("run trace-flaky", ref.id, 3);

    for (const run of [first, second, third]) {
      expect(run.spanContext().traceId).toBe(submit.spanContext().traceId);
      expect(parentOf(run)).toBe(idOf(submit).spanId);
    }
    expect(first.links).toEqual([]);
    for (const retry of [second, third]) {
      expect(retry.links.map((link) => link.context.spanId)).toEqual([idOf(first).spanId]);
      expect(retry.links[0]?.context.traceId).toBe(submit.spanContext().traceId);
    }
    for (const failed of [first, second]) {
      expect(failed.attributes).toMatchObject({
        "upnext.job.outcome": "retry",
        "upnext.job.failure_reason": "exception",
      });
      expect(failed.status.code).toBe(SpanStatusCode.ERROR);
      const exception = failed.events.find((event) => event.name === "exception");
      expect(exception?.attributes?.["exception.message"]).toMatch(/^attempt \d fails$/);
    }
    expect(third.attributes["upnext.job.outcome"]).toBe("complete");
    expect(third.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it("marks a failed job's run span as an error with the exception", async () => {
    const ref = await broken.submit(null);
    await expect(ref.result({ timeout: "5s" })).rejects.toThrow(/always broken/);
    const run = await spanOf("run trace-broken", ref.id);
    expect(run.status).toMatchObject({ code: SpanStatusCode.ERROR, message: "TypeError: always broken" });
    expect(run.attributes).toMatchObject({
      "upnext.job.outcome": "failed",
      "upnext.job.failure_reason": "exception",
    });
    const exception = run.events.find((event) => event.name === "exception");
    expect(exception?.attributes).toMatchObject({
      "exception.type": "TypeError",
      "exception.message": "always broken",
    });
  });

  it("carries an HTTP request's span into the job it submits", async () => {
    const server: Server = createServer((request, response) => {
      const span = tracer().startSpan(`HTTP ${request.method ?? "GET"} /orders`, { kind: SpanKind.SERVER });
      void context.with(trace.setSpan(context.active(), span), async () => {
        try {
          const ref = await child.submit({ n: 21 });
          response.writeHead(202, { "content-type": "application/json" });
          response.end(JSON.stringify({ jobId: ref.id, traceId: span.spanContext().traceId }));
        } finally {
          span.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/orders`, { method: "POST" });
      const { jobId, traceId } = (await response.json()) as { jobId: string; traceId: string };
      expect(await child.ref(jobId).result({ timeout: "5s" })).toBe(42);
      const http = await eventually(
        () =>
          spans().find((span) => span.name === "HTTP POST /orders" && span.spanContext().traceId === traceId),
        "the HTTP span",
      );
      const submit = await spanOf("submit trace-child", jobId);
      const run = await spanOf("run trace-child", jobId);
      expect(parentOf(submit)).toBe(idOf(http).spanId);
      expect(submit.spanContext().traceId).toBe(traceId);
      expect(run.spanContext().traceId).toBe(traceId);
      expect(parentOf(run)).toBe(idOf(submit).spanId);
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  });

  it("continues a cron run's trace in the jobs it submits", async () => {
    const childId = await eventually(() => cronChildren[0], "a cron run to submit a child", 15_000);
    const runChild = await spanOf("run trace-child", childId);
    const submitChild = await spanOf("submit trace-child", childId);
    const cronRun = await eventually(
      () =>
        spans().find((span) => span.name === "run trace-cron" && idOf(span).spanId === parentOf(submitChild)),
      "the cron run that submitted the child",
    );
    expect(cronRun.attributes["upnext.job.attempt"]).toBe(1);
    expect(runChild.spanContext().traceId).toBe(cronRun.spanContext().traceId);
  });

  it("records nothing for a worker created with tracing: false", async () => {
    const ref = await offEcho.submit(7);
    expect(await ref.result({ timeout: "5s" })).toBe(7);
    expect(await traceField("trace-off-echo", ref.id)).toBeNull();
    expect(spans().filter((span) => span.attributes["messaging.message.id"] === ref.id)).toEqual([]);
  });
});
