/**
 * UpNext side of the benchmark: the worker a child runs and the producer the parent submits
 * through (a Worker that is never started). Status events stay on (the default).
 */
import { Worker } from "upnext";
import type {
  BenchProducer,
  BenchSystem,
  BenchWorker,
  JobInput,
  WorkerHooks,
  WorkerSettings,
} from "./shared.js";

const TASK = "noop";

function createWorker(settings: WorkerSettings, hooks: WorkerHooks): BenchWorker {
  const worker = new Worker({
    name: "bench",
    namespace: settings.queue,
    redis: settings.redisUrl,
    concurrency: settings.concurrency,
    handleSignals: false,
    tracing: settings.tracing,
  });
  // onComplete gets the context, not the input: remember each running job's input by id.
  const inputs = new Map<string, JobInput>();
  worker.task<JobInput, null>(
    TASK,
    {
      onComplete: (ctx) => {
        const input = inputs.get(ctx.jobId);
        if (input === undefined) return;
        inputs.delete(ctx.jobId);
        hooks.finished(input);
      },
    },
    (input, ctx) => {
      inputs.set(ctx.jobId, input);
      hooks.started(input);
      return null;
    },
  );
  return {
    start: () => worker.start(),
    stop: () => worker.stop(),
    details: () => {
      if (!worker.started) return {};
      const metrics = worker.metrics();
      return { statusBuffer: metrics.statusBuffer, jobs: metrics.jobs };
    },
  };
}

function createProducer(redisUrl: string, queue: string, tracing = true): BenchProducer {
  const worker = new Worker({
    name: "bench-producer",
    namespace: queue,
    redis: redisUrl,
    handleSignals: false,
    tracing,
  });
  const task = worker.task<JobInput, null>(TASK, {}, () => null);
  return {
    connect: async () => {
      await worker.connection.redis.ping();
    },
    submitBulk: async (inputs) => {
      await task.submitMany(inputs);
    },
    submitOne: async (input) => {
      await task.submit(input);
    },
    close: () => worker.stop(),
  };
}

export const system: BenchSystem = {
  createWorker,
  createProducer,
  // Every key of a namespace starts with `<namespace>:`; the parent SCANs and UNLINKs them.
  keyPattern: (queue) => `${queue}:*`,
};
