/**
 * The workloads: each (workload, system) pair gets a fresh worker child, warms it up, gets its
 * load from producers in this process, reports what the child measured and deletes its keys.
 */
import os from "node:os";
import { ChildHandle, type Profiling } from "./child-handle.js";
import { busyShare, cpuTicks, type CpuTicks } from "./machine-cpu.js";
import type { RedisAdmin, RedisCounters } from "./redis-admin.js";
import { system as bullmqSystem } from "./system-bullmq.js";
import { system as upnextSystem } from "./system-upnext.js";
import {
  now,
  round2,
  type BenchSystem,
  type BullmqRetention,
  type Contender,
  type ChildResult,
  type JobInput,
  type Mode,
  type SystemName,
  type TracingMode,
} from "./shared.js";

export const WORKLOAD_NAMES = ["burst", "sustained-500", "sustained-2000", "tracing"] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export function isWorkloadName(value: string): value is WorkloadName {
  return (WORKLOAD_NAMES as readonly string[]).includes(value);
}

export interface WorkloadPlan {
  readonly name: WorkloadName;
  readonly mode: Mode;
  /** Sustained: jobs per second offered. */
  readonly rate: number;
}

export const PLANS: readonly WorkloadPlan[] = [
  { name: "burst", mode: "burst", rate: 0 },
  { name: "sustained-500", mode: "sustained", rate: 500 },
  { name: "sustained-2000", mode: "sustained", rate: 2_000 },
  // UpNext alone: the burst with tracing off, with the API but no SDK, and with an SDK (runTracing).
  { name: "tracing", mode: "burst", rate: 0 },
];

/** The tracing workload's arms, in the order of the first round (later rounds rotate it). */
export const TRACING_MODES: readonly TracingMode[] = ["off", "api", "sdk"];

export const CONCURRENCY = 50;
const BULK_CHUNK = 1_000;
const TICK_MS = 10;
const SYSTEMS: Readonly<Record<SystemName, BenchSystem>> = { upnext: upnextSystem, bullmq: bullmqSystem };

/** What the workloads take from the command line and from the parent's setup. */
export interface WorkloadContext {
  readonly redisUrl: string;
  readonly warmJobs: number;
  readonly burstJobs: number;
  readonly sustainedS: number;
  readonly drainTimeoutMs: number;
  readonly verbose: boolean;
  readonly profiling: Profiling;
  readonly admin: RedisAdmin;
  /** True once Ctrl-C was pressed: the open loop stops offering load, so cleanup can start. */
  readonly interrupted: () => boolean;
  /** Rounds of the tracing workload (each runs every arm once). */
  readonly tracingRounds: number;
}

export interface WorkloadResult {
  readonly name: WorkloadName;
  readonly system: SystemName;
  /** BullMQ rows: how finished jobs were kept; null for UpNext. */
  readonly retention: BullmqRetention | null;
  readonly jobs: number;
  readonly throughput_per_s: number | null;
  readonly p50_ms: number | null;
  readonly p95_ms: number | null;
  readonly p99_ms: number | null;
  readonly rss_mb: number;
  readonly [extra: string]: unknown;
}

export function runWorkload(
  plan: WorkloadPlan,
  contender: Contender,
  order: number,
  runId: string,
  context: WorkloadContext,
): Promise<WorkloadResult> {
  return plan.mode === "burst"
    ? runBurst(contender, order, runId, context)
    : runSustained(plan, contender, order, runId, context);
}

const UPNEXT: Contender = { system: "upnext", retention: null };

/** Queue-name and label suffix of a contender: the system, and BullMQ's retention. */
function contenderSlug(contender: Contender): string {
  return contender.retention === null ? contender.system : `${contender.system}-${contender.retention}`;
}

/**
 * The tracing workload: UpNext's burst with tracing off, with the API and no SDK, and with an SDK,
 * `context.tracingRounds` times; each round rotates which arm goes first, so a drift of the
 * machine over the run does not favour one arm. `onRun` is told when each run starts and ends.
 */
export async function runTracing(
  firstOrder: number,
  runId: string,
  context: WorkloadContext,
  onRun: (label: string, run: () => Promise<WorkloadResult>) => Promise<WorkloadResult>,
): Promise<WorkloadResult[]> {
  const results: WorkloadResult[] = [];
  let order = firstOrder;
  for (let round = 1; round <= context.tracingRounds; round++) {
    const shift = (round - 1) % TRACING_MODES.length;
    const modes = [...TRACING_MODES.slice(shift), ...TRACING_MODES.slice(0, shift)];
    for (const tracing of modes) {
      if (context.interrupted()) throw new Error("interrupted");
      const run = order++;
      results.push(
        await onRun(`tracing ${tracing} (round ${round})`, () =>
          runBurst(UPNEXT, run, runId, context, { name: "tracing", tracing, round }),
        ),
      );
    }
  }
  return results;
}

/** 1-minute load average; above the core count, something else competes for the CPU. */
export function loadAverage(): number {
  return round2(os.loadavg()[0] ?? 0);
}

/** With --verbose, prints how long each phase of a run took. */
function phases(label: string, verbose: boolean): (phase: string) => void {
  const started = Date.now();
  return (phase) => {
    if (verbose) console.log(`\n  [${label}] ${phase} at +${Date.now() - started} ms`);
  };
}

function perSecond(count: number, ms: number): number | null {
  return ms > 0 ? Math.round((count / ms) * 1000) : null;
}

const RETENTION_NOTE: Readonly<Record<BullmqRetention, string>> = {
  "keep-all":
    "BullMQ defaults: removeOnComplete/removeOnFail not set (finished jobs kept); queue obliterated after the run",
  "age-24h":
    "BullMQ Worker removeOnComplete/removeOnFail { age: 86400 } (UpNext's 24h); queue obliterated after the run",
  "remove-on-complete":
    "BullMQ Worker removeOnComplete { count: 0 } (= removeOnComplete: true on each job); queue obliterated after the run",
};

function retentionNote(contender: Contender): string {
  return contender.retention === null
    ? "UpNext keeps finished jobs for UPNEXT_JOB_RETENTION (default 24h); keys deleted after the run"
    : RETENTION_NOTE[contender.retention];
}

/** CPU time per job in µs (one decimal). */
function perJobUs(cpuS: number, jobs: number): number | null {
  return jobs > 0 ? Math.round((cpuS * 1e7) / jobs) / 10 : null;
}

/** What the parent reads around a measured phase: Redis's counters and the machine's CPU ticks. */
interface Snapshot {
  readonly redis: RedisCounters;
  readonly cpu: CpuTicks;
}

async function snapshot(admin: RedisAdmin): Promise<Snapshot> {
  return { redis: await admin.counters(), cpu: cpuTicks() };
}

function commonFields(
  contender: Contender,
  result: ChildResult,
  before: Snapshot,
  after: Snapshot,
  elapsedS: number,
  order: number,
  queue: string,
  loadAtStart: number,
): Record<string, unknown> {
  const redisCpuS = after.redis.cpuS - before.redis.cpuS;
  const cores = os.availableParallelism();
  return {
    completed: result.completed,
    timed_out: result.timedOut,
    concurrency: CONCURRENCY,
    rss_baseline_mb: result.baselineRssMb,
    worker_cpu_s: result.cpuS,
    redis_cpu_s: round2(redisCpuS),
    worker_cpu_us_per_job: perJobUs(result.cpuS, result.completed),
    redis_cpu_us_per_job: perJobUs(redisCpuS, result.completed),
    // Worker + Redis CPU over the window's core-seconds: how much of the machine this system used.
    cores_busy: elapsedS > 0 ? round2((result.cpuS + redisCpuS) / (elapsedS * cores)) : null,
    // Every process on the machine (the producer, other users): how loaded the machine was.
    machine_busy: busyShare(before.cpu, after.cpu),
    redis_commands: after.redis.commands - before.redis.commands,
    redis_forks: after.redis.forks - before.redis.forks,
    run_order: order,
    loadavg_1m: loadAtStart,
    queue,
    job_retention: retentionNote(contender),
    details: result.details,
  };
}

/** A fresh worker child for one system and workload; the settings every workload shares are filled in. */
function startChild(
  context: WorkloadContext,
  contender: Contender,
  mode: "burst" | "sustained",
  queue: string,
  warmQueue: string | null,
  burstJobs: number,
  label: string,
  tracing: TracingMode = "api",
): ChildHandle {
  return new ChildHandle(
    {
      system: contender.system,
      retention: contender.retention,
      mode,
      redisUrl: context.redisUrl,
      queue,
      warmQueue,
      warmJobs: context.warmJobs,
      concurrency: CONCURRENCY,
      burstJobs,
      drainTimeoutMs: context.drainTimeoutMs,
      verbose: context.verbose,
      tracing,
    },
    label,
    context.profiling,
  );
}

async function enqueueChunks(
  redisUrl: string,
  sys: BenchSystem,
  queue: string,
  total: number,
  warm: boolean,
  tracing: boolean,
): Promise<{ callerMs: number; flushedMs: number }> {
  const producer = sys.createProducer(redisUrl, queue, tracing);
  await producer.connect();
  const started = now();
  for (let done = 0; done < total; done += BULK_CHUNK) {
    const size = Math.min(BULK_CHUNK, total - done);
    const t = now();
    const inputs: JobInput[] = Array.from({ length: size }, () => (warm ? { t, w: 1 } : { t }));
    await producer.submitBulk(inputs);
  }
  const callerMs = now() - started;
  // Closing flushes what a producer still buffers (UpNext: the jobs' "queued" status events).
  await producer.close();
  return { callerMs, flushedMs: now() - started };
}

/** A tracing arm of the burst (tracing workload only); default: the plain burst, tracing as configured. */
interface BurstVariant {
  readonly name: WorkloadName;
  readonly tracing: TracingMode;
  readonly round: number | null;
}

async function runBurst(
  contender: Contender,
  order: number,
  runId: string,
  context: WorkloadContext,
  variant: BurstVariant = { name: "burst", tracing: "api", round: null },
): Promise<WorkloadResult> {
  const sys = SYSTEMS[contender.system];
  const suffix = variant.round === null ? "" : `-${variant.tracing}-${variant.round}`;
  const queue = `bench-${runId}-${variant.name}-${contenderSlug(contender)}${suffix}`;
  const warmQueue = `${queue}-warm`;
  const label = `${variant.name}-${contenderSlug(contender)}${suffix}`;
  const loadAtStart = loadAverage();
  const child = startChild(
    context,
    contender,
    "burst",
    queue,
    warmQueue,
    context.burstJobs,
    label,
    variant.tracing,
  );
  const producerTraces = variant.tracing !== "off";
  const mark = phases(label, context.verbose);
  try {
    await child.next("ready", 30_000);
    mark("child ready");
    await enqueueChunks(context.redisUrl, sys, warmQueue, context.warmJobs, true, producerTraces);
    await child.next("warm-done", 30_000);
    mark("warm-up done");

    const enqueue = await enqueueChunks(
      context.redisUrl,
      sys,
      queue,
      context.burstJobs,
      false,
      producerTraces,
    );
    mark("burst enqueued");
    const before = await snapshot(context.admin);
    child.send({ type: "go" });
    const { result } = await child.next("result", context.drainTimeoutMs + 30_000);
    mark("burst processed");
    const after = await snapshot(context.admin);
    await child.stop();
    mark("child stopped");
    const processingMs =
      result.firstStart !== null && result.lastFinish !== null ? result.lastFinish - result.firstStart : 0;
    return {
      name: variant.name,
      system: contender.system,
      retention: contender.retention,
      ...(variant.round === null ? {} : { tracing: variant.tracing, round: variant.round }),
      jobs: context.burstJobs,
      throughput_per_s: perSecond(result.completed, processingMs),
      p50_ms: null,
      p95_ms: null,
      p99_ms: null,
      rss_mb: result.peakRssMb,
      latency: null,
      p50_finish_ms: null,
      p95_finish_ms: null,
      p99_finish_ms: null,
      enqueue_per_s: perSecond(context.burstJobs, enqueue.callerMs),
      enqueue_flushed_per_s: perSecond(context.burstJobs, enqueue.flushedMs),
      elapsed_s: round2(processingMs / 1000),
      ...commonFields(contender, result, before, after, processingMs / 1000, order, queue, loadAtStart),
    };
  } finally {
    await child.stop().catch(() => undefined);
    await context.admin.cleanup(sys, [queue, warmQueue]);
    mark("keys deleted");
  }
}

interface ScheduleOutcome {
  readonly submitted: number;
  readonly failed: number;
  readonly startedAt: number;
  /** Worst delay of a tick beyond TICK_MS after the previous one (producer event-loop lag). */
  readonly maxLagMs: number;
}

/**
 * Open loop: every TICK_MS, submit rate/100 jobs with individual submit() calls that are not
 * awaited by the next tick. A late tick catches up on the jobs that were due, so the offered
 * rate holds whatever the completions do.
 */
async function openLoop(
  submit: (input: JobInput) => Promise<void>,
  rate: number,
  seconds: number,
  interrupted: () => boolean,
): Promise<ScheduleOutcome> {
  const perTick = (rate * TICK_MS) / 1000;
  const total = rate * seconds;
  const pending: Promise<void>[] = [];
  let failed = 0;
  let firstError: unknown;
  let sent = 0;
  let maxLagMs = 0;
  const startedAt = now();
  let previousTick = startedAt;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const at = now();
      // How much later than TICK_MS after the previous tick this one fired.
      maxLagMs = Math.max(maxLagMs, at - previousTick - TICK_MS);
      previousTick = at;
      const elapsed = at - startedAt;
      const ticksDue = Math.floor(elapsed / TICK_MS) + 1;
      const due = Math.min(total, Math.round(ticksDue * perTick));
      while (sent < due) {
        sent++;
        pending.push(
          submit({ t: now() }).catch((error: unknown) => {
            failed++;
            firstError ??= error;
          }),
        );
      }
      if (sent >= total || interrupted()) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, TICK_MS);
    tick();
  });
  await Promise.all(pending);
  if (failed > 0) console.log(`  note: ${failed} submit(s) failed; first error:`, firstError);
  return { submitted: sent, failed, startedAt, maxLagMs: round2(maxLagMs) };
}

async function runSustained(
  plan: WorkloadPlan,
  contender: Contender,
  order: number,
  runId: string,
  context: WorkloadContext,
): Promise<WorkloadResult> {
  const sys = SYSTEMS[contender.system];
  const queue = `bench-${runId}-${plan.name}-${contenderSlug(contender)}`;
  const label = `${plan.name}-${contenderSlug(contender)}`;
  const loadAtStart = loadAverage();
  const child = startChild(context, contender, "sustained", queue, null, 0, label);
  const producer = sys.createProducer(context.redisUrl, queue);
  const mark = phases(label, context.verbose);
  try {
    await child.next("ready", 30_000);
    mark("child ready");
    await producer.connect();
    // Warm up through the same submit() path, 50 at a time.
    for (let done = 0; done < context.warmJobs; done += 50) {
      const batch = Math.min(50, context.warmJobs - done);
      await Promise.all(Array.from({ length: batch }, () => producer.submitOne({ t: now(), w: 1 })));
    }
    await child.next("warm-done", 30_000);
    mark("warm-up done");

    const before = await snapshot(context.admin);
    const schedule = await openLoop(
      (input) => producer.submitOne(input),
      plan.rate,
      context.sustainedS,
      context.interrupted,
    );
    mark("schedule done");
    const accepted = schedule.submitted - schedule.failed;
    child.send({ type: "expect", count: accepted });
    const { result } = await child.next("result", context.drainTimeoutMs + 30_000);
    mark("all finished");
    const after = await snapshot(context.admin);
    await child.stop();
    mark("child stopped");
    const elapsedMs = result.lastFinish !== null ? result.lastFinish - schedule.startedAt : 0;
    return {
      name: plan.name,
      system: contender.system,
      retention: contender.retention,
      jobs: accepted,
      throughput_per_s: perSecond(result.completed, elapsedMs),
      p50_ms: result.start?.p50 ?? null,
      p95_ms: result.start?.p95 ?? null,
      p99_ms: result.start?.p99 ?? null,
      rss_mb: result.peakRssMb,
      latency: "enqueue->start",
      p50_finish_ms: result.finish?.p50 ?? null,
      p95_finish_ms: result.finish?.p95 ?? null,
      p99_finish_ms: result.finish?.p99 ?? null,
      max_ms: result.start?.max ?? null,
      max_finish_ms: result.finish?.max ?? null,
      offered_per_s: plan.rate,
      duration_s: context.sustainedS,
      submit_errors: schedule.failed,
      producer_max_lag_ms: schedule.maxLagMs,
      elapsed_s: round2(elapsedMs / 1000),
      ...commonFields(contender, result, before, after, elapsedMs / 1000, order, queue, loadAtStart),
    };
  } finally {
    await producer.close().catch(() => undefined);
    await child.stop().catch(() => undefined);
    await context.admin.cleanup(sys, [queue]);
    mark("keys deleted");
  }
}
