/**
 * A benchmark worker process: forked by run.ts with a ChildSpec in argv[2], runs one system's
 * worker (only that system's library is loaded), measures in the handler and when the outcome
 * is stored, and reports over IPC. Protocol (parent -> child in brackets):
 *
 *   burst:     ready, (warm-up jobs on warmQueue) warm-done, [go] result, [stop] stopped
 *   sustained: ready, (warm-up jobs on queue)     warm-done, [expect n] result, [stop] stopped
 */
import type { BenchSystem, BenchWorker, ChildMessage, ChildResult, ChildSpec, JobInput } from "./shared.js";
import { isParentMessage, now, percentiles } from "./shared.js";

const RSS_SAMPLE_MS = 100;
const baselineRss = process.memoryUsage.rss();

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error("child.ts must be started by run.ts (no IPC channel)"));
      return;
    }
    process.send(message, undefined, {}, (error: Error | null) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

function fail(error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  send({ type: "error", message })
    .catch(() => undefined)
    .finally(() => process.exit(1));
}

process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);
// The parent went away (crashed or was interrupted): stop whatever runs, then exit.
process.on("disconnect", () => {
  const stopping = Promise.allSettled([...live].map((worker) => worker.stop()));
  void Promise.race([stopping, new Promise((resolve) => setTimeout(resolve, 5_000))]).finally(() =>
    process.exit(1),
  );
});

const specArg = process.argv[2];
if (specArg === undefined) throw new Error("usage: child.ts <ChildSpec JSON> (started by run.ts)");
const spec = JSON.parse(specArg) as ChildSpec;
if (spec.tracing === "sdk") {
  const { registerBenchTracing } = await import("./tracing-sdk.js");
  registerBenchTracing();
}
// Load only this child's system, so its RSS holds one library.
const { system }: { system: BenchSystem } =
  spec.system === "upnext" ? await import("./system-upnext.js") : await import("./system-bullmq.js");

/** Workers built and not yet stopped. */
const live = new Set<BenchWorker>();

function createWorker(queue: string): BenchWorker {
  const worker = system.createWorker(
    {
      redisUrl: spec.redisUrl,
      queue,
      concurrency: spec.concurrency,
      tracing: spec.tracing !== "off",
      retention: spec.retention,
    },
    hooks,
  );
  live.add(worker);
  return {
    start: () => worker.start(),
    stop: async () => {
      await worker.stop();
      live.delete(worker);
    },
    details: () => worker.details(),
  };
}

// --- measurement state ---------------------------------------------------------------------
const startLatencies: number[] = [];
const finishLatencies: number[] = [];
let warmFinished = 0;
let completed = 0;
let firstStart: number | null = null;
let lastFinish: number | null = null;
let expected: number | null = spec.mode === "burst" ? spec.burstJobs : null;
let measuring = false;
let reported = false;
let peakRss = 0;
let rssTimer: NodeJS.Timeout | undefined;
let drainTimer: NodeJS.Timeout | undefined;
let cpuAtStart: NodeJS.CpuUsage = process.cpuUsage();

function toMb(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

function sampleRss(): void {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}

function beginMeasuring(): void {
  measuring = true;
  cpuAtStart = process.cpuUsage();
  sampleRss();
  rssTimer = setInterval(sampleRss, RSS_SAMPLE_MS);
}

let onWarm: () => void = () => undefined;
let measured: BenchWorker | undefined;

let warmStarted = 0;
const hooks = {
  started: (input: JobInput) => {
    if (input.w === 1) {
      warmStarted++;
      return;
    }
    const at = now();
    firstStart ??= at;
    if (spec.mode === "sustained") startLatencies.push(at - input.t);
  },
  finished: (input: JobInput) => {
    if (input.w === 1) {
      warmFinished++;
      if (warmFinished === spec.warmJobs) onWarm();
      return;
    }
    const at = now();
    completed++;
    lastFinish = at;
    if (spec.mode === "sustained") finishLatencies.push(at - input.t);
    checkDone();
  },
};

function checkDone(): void {
  if (expected !== null && completed >= expected && measuring) report(false);
}

function report(timedOut: boolean): void {
  if (reported) return;
  reported = true;
  clearInterval(rssTimer);
  clearTimeout(drainTimer);
  sampleRss();
  const cpu = process.cpuUsage(cpuAtStart);
  const result: ChildResult = {
    completed,
    firstStart,
    lastFinish,
    start: percentiles(startLatencies),
    finish: percentiles(finishLatencies),
    peakRssMb: toMb(peakRss),
    baselineRssMb: toMb(baselineRss),
    cpuS: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    timedOut,
    details: measured?.details() ?? {},
  };
  send({ type: "result", result }).catch(fail);
}

function armDrainTimeout(): void {
  drainTimer = setTimeout(() => {
    report(true);
  }, spec.drainTimeoutMs);
}

async function stop(): Promise<void> {
  await measured?.stop();
  await send({ type: "stopped" });
  process.exit(0);
}

process.on("message", (message: unknown) => {
  if (!isParentMessage(message)) return;
  switch (message.type) {
    case "go":
      // Burst: the jobs are enqueued; start the worker and time first start -> last stored.
      beginMeasuring();
      armDrainTimeout();
      measured?.start().catch(fail);
      break;
    case "expect":
      // Sustained: the schedule is over and `count` jobs were submitted.
      expected = message.count;
      armDrainTimeout();
      checkDone();
      break;
    case "stop":
      stop().catch(fail);
      break;
  }
});

if (spec.verbose) {
  setInterval(() => {
    console.error(
      `  [${spec.system} child] warm started/finished ${warmStarted}/${warmFinished}, measured started? ${firstStart !== null}, completed ${completed}/${expected ?? "?"}, rss ${Math.round(process.memoryUsage.rss() / 1048576)} MB`,
    );
  }, 2_000).unref();
}

if (spec.mode === "burst") {
  if (spec.warmQueue === null) throw new Error("burst needs a warm-up queue");
  // Warm up on a throwaway queue, then build (but do not start) the measured worker.
  const warm = createWorker(spec.warmQueue);
  onWarm = () => {
    warm
      .stop()
      .then(() => {
        measured = createWorker(spec.queue);
        return send({ type: "warm-done" });
      })
      .catch(fail);
  };
  await warm.start();
} else {
  // Sustained: one worker, warmed up on the measured queue, measuring from then on.
  measured = createWorker(spec.queue);
  onWarm = () => {
    beginMeasuring();
    send({ type: "warm-done" }).catch(fail);
  };
  await measured.start();
}
await send({ type: "ready" });
