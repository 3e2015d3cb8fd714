/**
 * BullMQ side of the benchmark, with BullMQ's defaults (events on) except how finished jobs are
 * kept, which each row sets on the Worker (see BullmqRetention). `autorun: false` only lets the
 * child choose when the worker starts.
 */
import { Queue, Worker, type WorkerOptions } from "bullmq";
import type {
  BenchProducer,
  BenchSystem,
  BenchWorker,
  BullmqRetention,
  JobInput,
  WorkerHooks,
  WorkerSettings,
} from "./shared.js";

const JOB_NAME = "noop";
const DAY_S = 86_400;

/** The Worker options of each retention; KeepJobs objects, never a bare boolean (see shared.ts). */
const RETENTION_OPTIONS: Readonly<Record<BullmqRetention, Partial<WorkerOptions>>> = {
  "keep-all": {},
  "age-24h": { removeOnComplete: { age: DAY_S }, removeOnFail: { age: DAY_S } },
  "remove-on-complete": { removeOnComplete: { count: 0 } },
};

function createWorker(settings: WorkerSettings, hooks: WorkerHooks): BenchWorker {
  const worker = new Worker<JobInput, null>(
    settings.queue,
    (job) => {
      hooks.started(job.data);
      return Promise.resolve(null);
    },
    {
      connection: { url: settings.redisUrl },
      concurrency: settings.concurrency,
      autorun: false,
      ...RETENTION_OPTIONS[settings.retention ?? "keep-all"],
    },
  );
  // 'completed' is emitted once moveToCompleted has stored the result.
  worker.on("completed", (job) => {
    hooks.finished(job.data);
  });
  worker.on("error", (error) => {
    console.error(`[bullmq worker] ${error.message}`);
  });
  return {
    start: async () => {
      await worker.waitUntilReady();
      worker.run().catch((error: unknown) => {
        console.error("[bullmq worker] run failed:", error);
      });
    },
    stop: () => worker.close(),
    details: () => ({}),
  };
}

function createProducer(redisUrl: string, queue: string): BenchProducer {
  const q = new Queue<JobInput, null>(queue, { connection: { url: redisUrl } });
  return {
    connect: () => q.waitUntilReady(),
    submitBulk: async (inputs) => {
      await q.addBulk(inputs.map((data) => ({ name: JOB_NAME, data })));
    },
    submitOne: async (input) => {
      await q.add(JOB_NAME, input);
    },
    close: () => q.close(),
  };
}

export const system: BenchSystem = {
  createWorker,
  createProducer,
  // Default prefix "bull".
  keyPattern: (queue) => `bull:${queue}:*`,
  cleanup: async (redisUrl, queue) => {
    const q = new Queue(queue, { connection: { url: redisUrl } });
    try {
      await q.obliterate({ force: true });
    } finally {
      await q.close();
    }
  },
};
