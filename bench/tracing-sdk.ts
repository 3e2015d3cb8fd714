/**
 * The `sdk` arm of the tracing workload: an OpenTelemetry SDK registered in the worker child, as an
 * application exporting its traces would have it (AsyncLocalStorage context, every span sampled,
 * batched export), with an exporter that discards the spans so only UpNext's side is measured.
 */
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";

/** Accepts every batch (as a real exporter that succeeded would) and keeps nothing. */
class DiscardingExporter extends InMemorySpanExporter {
  override export(spans: ReadableSpan[], done: Parameters<InMemorySpanExporter["export"]>[1]): void {
    super.export(spans, done);
    this.reset();
  }
}

export function registerBenchTracing(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor(new DiscardingExporter(), { maxQueueSize: 65_536 })],
    }),
  );
}
