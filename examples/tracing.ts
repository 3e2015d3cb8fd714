/**
 * The example service with OpenTelemetry tracing: the Node SDK records every span UpNext makes and
 * prints one line per span to the console; with OTEL_EXPORTER_OTLP_ENDPOINT set (e.g.
 * http://localhost:4318) it also exports them over OTLP/HTTP to a collector, Jaeger or Tempo.
 *
 *   npx tsx --conditions=@upnext/source examples/tracing.ts   # --raw prints the SDK's ConsoleSpanExporter objects instead
 *
 * Besides the background traffic, a tiny storefront (node:http) answers `POST /orders`: its
 * request span is active when it submits `process-order`, so the trace of one request shows the
 * request, the order job, the confirmation e-mail it submits, and every retry. The worker also
 * serves /health, /ready and /metrics (docs/observability.md). Redis is chosen as in service.ts.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SpanKind, SpanStatusCode, context, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { NodeSDK, core } from "@opentelemetry/sdk-node";
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { rateFromEnv, startTraffic, type Traffic } from "./client.js";
import { compactLogger } from "./compact-logger.js";
import { DEFAULT_REDIS_URL, chooseRedis } from "./local-redis.js";
import { createExampleWorker } from "./tasks.js";
import { bold, complain, cyan, dim, gray, red, say } from "./terminal-style.js";

/** One line per finished span: trace, span and parent ids, kind, name, duration and the job's attributes. */
class SpanLinePrinter implements SpanExporter {
  export(spans: ReadableSpan[], done: Parameters<SpanExporter["export"]>[1]): void {
    for (const span of spans) {
      const { traceId, spanId } = span.spanContext();
      const parent = span.parentSpanContext?.spanId.slice(0, 8) ?? "(root)  ";
      const [seconds, nanos] = span.duration;
      const ms = (seconds * 1e3 + nanos / 1e6).toFixed(1);
      const a = span.attributes;
      const job =
        typeof a["messaging.message.id"] === "string" ? `#${a["messaging.message.id"].slice(-6)}` : "";
      const attempt = typeof a["upnext.job.attempt"] === "number" ? ` a${a["upnext.job.attempt"]}` : "";
      const outcome = a["upnext.job.outcome"] ?? a["upnext.job.status"] ?? "";
      const failed =
        span.status.code === SpanStatusCode.ERROR ? red(` ${span.status.message ?? "error"}`) : "";
      say(
        "span",
        `${cyan(traceId.slice(0, 8))} ${spanId.slice(0, 8)} ${gray(`<- ${parent}`)} ${SpanKind[span.kind].padEnd(8)} ${bold(span.name.padEnd(24))} ${ms.padStart(7)}ms ${job}${attempt} ${String(outcome)}${failed}`,
      );
    }
    done({ code: core.ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const processors: SpanProcessor[] = [
  new SimpleSpanProcessor(process.argv.includes("--raw") ? new ConsoleSpanExporter() : new SpanLinePrinter()),
];
const otlp = process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
// The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and _HEADERS, ...) itself.
if (otlp) processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
const sdk = new NodeSDK({ serviceName: "upnext-example", spanProcessors: processors });
sdk.start();
say(
  "otel",
  `tracing to the console${otlp ? ` and over OTLP to ${bold(otlp)}` : dim(" (set OTEL_EXPORTER_OTLP_ENDPOINT to export)")}`,
);

const configured = process.env.UPNEXT_REDIS_URL?.trim();
const redis = await chooseRedis(
  configured === undefined || configured === "" ? DEFAULT_REDIS_URL : configured,
);
if (redis.kind === "unavailable") {
  complain(redis.message);
  await sdk.shutdown();
  process.exit(1);
}
const privateRedis = redis.kind === "private" ? redis.server : undefined;
say(
  "redis",
  redis.kind === "private"
    ? `started a private redis-server at ${bold(redis.url)}`
    : `using ${bold(redis.url)}`,
);
process.env.UPNEXT_REDIS_URL = redis.url;
process.env.UPNEXT_LOG_LEVEL ??= "warn";

const { worker, tasks } = createExampleWorker({
  redis: redis.url,
  handleSignals: false,
  logger: compactLogger(process.env.UPNEXT_LOG_LEVEL),
});

const tracer = trace.getTracer("upnext-example-storefront");
const customers = ["ada", "grace", "linus", "margaret"];

/** POST /orders: the request's span is active while the order is submitted, so the job joins its trace. */
const storefront: Server = createServer((request, response) => {
  if (request.method !== "POST" || request.url !== "/orders") {
    response.writeHead(404).end();
    return;
  }
  const span = tracer.startSpan("POST /orders", {
    kind: SpanKind.SERVER,
    attributes: { "http.request.method": "POST" },
  });
  void context.with(trace.setSpan(context.active(), span), async () => {
    try {
      const customer = customers[Math.floor(Math.random() * customers.length)] ?? "ada";
      const ref = await tasks.processOrder.submit({
        orderId: `ord_${randomBytes(3).toString("hex")}`,
        customerEmail: `${customer}@example.com`,
        items: [{ sku: "KB-101", quantity: 1, unitPrice: 49.9 }],
      });
      response.writeHead(202, { "content-type": "application/json" });
      response.end(JSON.stringify({ jobId: ref.id, traceId: span.spanContext().traceId }));
      span.setAttribute("http.response.status_code", 202);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      response.writeHead(500).end();
    } finally {
      span.end();
    }
  });
});

/** What runs once started, for shutdown() to stop. */
const running: { traffic?: Traffic; orders?: NodeJS.Timeout } = {};
async function shutdown(signal: string): Promise<void> {
  say("service", `${signal}: stopping`);
  clearInterval(running.orders);
  await running.traffic?.stop();
  await new Promise<void>((resolve) =>
    storefront.close(() => {
      resolve();
    }),
  );
  await worker.stop(signal);
  // Flushes the spans still batched for OTLP; a collector that is gone must not fail the stop.
  await sdk.shutdown().catch((error: unknown) => {
    complain(`could not flush the last spans: ${error instanceof Error ? error.message : String(error)}`);
  });
  await privateRedis?.stop();
}
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        complain(`stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  });
}

await worker.start();
const health = await worker.serveHealth({ port: 0, host: "127.0.0.1" });
await new Promise<void>((resolve) =>
  storefront.listen(0, "127.0.0.1", () => {
    resolve();
  }),
);
const ordersUrl = `http://127.0.0.1:${(storefront.address() as AddressInfo).port}/orders`;
say("service", `storefront: ${bold(`curl -X POST ${ordersUrl}`)}; metrics: ${bold(`${health.url}/metrics`)}`);
// The storefront gets an order every 3 seconds on its own; the client adds background traffic.
running.orders = setInterval(() => {
  fetch(ordersUrl, { method: "POST" }).catch(() => undefined);
}, 3_000);
running.traffic = startTraffic(tasks, { rate: Math.min(rateFromEnv(), 2) });
