/**
 * `npm run bench`: UpNext vs BullMQ on the same Redis, no-op jobs, concurrency 50.
 *
 * This process is the producer; each (workload, system) pair gets a fresh worker process
 * (child.ts) that measures and reports over IPC. Prints one table with both systems and the
 * UpNext/BullMQ ratios, the targets as PASS/MISS lines, and writes bench/results/latest.json
 * (full runs only; --quick and --only runs write bench/results/partial.json).
 *
 * Flags: --quick, --only=<workload>[,<workload>], --cpu-prof, --heap-prof, --help.
 * See bench/README.md for the method.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Worker } from "upnext";
import { system as bullmqSystem } from "./system-bullmq.js";
import { system as upnextSystem } from "./system-upnext.js";
import {
  SYSTEM_LABEL,
  isChildMessage,
  now,
  round2,
  type BenchSystem,
  type ChildMessage,
  type ChildResult,
  type ChildSpec,
  type JobInput,
  type Mode,
  type ParentMessage,
  type SystemName,
} from "./shared.js";

// --- options ---------------------------------------------------------------------------------

const HELP = `usage: npm run bench [-- options]
  --quick               fast sanity run (2,000-job burst, 3 s sustained); writes results/partial.json
  --only=a[,b]          run only these workloads (burst, sustained-500, sustained-2000)
  --verbose             print phase timings and the worker children's counters
  --cpu-prof            write a CPU profile of every worker child to bench/results/
  --heap-prof           write a sampling heap profile of every worker child to bench/results/
Environment: UPNEXT_REDIS_URL (default redis://127.0.0.1:6379).`;

const WORKLOAD_NAMES = ["burst", "sustained-500", "sustained-2000"] as const;
type WorkloadName = (typeof WORKLOAD_NAMES)[number];

function isWorkloadName(value: string): value is WorkloadName {
  return (WORKLOAD_NAMES as readonly string[]).includes(value);
}

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(HELP);
  process.exit(0);
}
const known = /^--(quick|verbose|cpu-prof|heap-prof|only=.+)$/;
const unknown = args.filter((arg) => !known.test(arg));
if (unknown.length > 0) {
  console.error(`unknown option(s): ${unknown.join(" ")}\n${HELP}`);
  process.exit(2);
}
const quick = args.includes("--quick");
const cpuProf = args.includes("--cpu-prof");
const heapProf = args.includes("--heap-prof");
const verbose = args.includes("--verbose");
const onlyArg = args.find((arg) => arg.startsWith("--only="));
const only = onlyArg?.slice("--only=".length).split(",") ?? [...WORKLOAD_NAMES];
const badNames = only.filter((name) => !isWorkloadName(name));
if (badNames.length > 0) {
  console.error(`unknown workload(s): ${badNames.join(", ")}; known: ${WORKLOAD_NAMES.join(", ")}`);
  process.exit(2);
}
const fullRun = !quick && onlyArg === undefined;

// Ctrl-C reaches the worker child too (same process group). Stay alive long enough to delete
// the current run's keys: the open loop stops, the wait for the child fails, cleanup runs.
let interrupted = false;
/** Read through a function: the flag changes in a signal handler, behind the type checker's back. */
function wasInterrupted(): boolean {
  return interrupted;
}
process.on("SIGINT", () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.log("\ninterrupted: deleting this run's keys (Ctrl-C again to quit at once)");
});

const REDIS_URL = process.env.UPNEXT_REDIS_URL ?? "redis://127.0.0.1:6379";
// The producers in this process log like the workers: warnings and errors only.
process.env.UPNEXT_LOG_LEVEL ??= "warn";

const CONCURRENCY = 50;
const BULK_CHUNK = 1_000;
const TICK_MS = 10;
const WARM_JOBS = quick ? 200 : 500;
const BURST_JOBS = quick ? 2_000 : 20_000;
const SUSTAINED_S = quick ? 3 : 10;
const DRAIN_TIMEOUT_MS = quick ? 15_000 : 30_000;
const PAUSE_BETWEEN_RUNS_MS = 1_000;

const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));
const CHILD_PATH = fileURLToPath(new URL("./child.ts", import.meta.url));

interface WorkloadPlan {
  readonly name: WorkloadName;
  readonly mode: Mode;
  /** Sustained: jobs per second offered. */
  readonly rate: number;
}

const PLANS: readonly WorkloadPlan[] = [
  { name: "burst", mode: "burst", rate: 0 },
  { name: "sustained-500", mode: "sustained", rate: 500 },
  { name: "sustained-2000", mode: "sustained", rate: 2_000 },
];
/** Within each workload UpNext runs first, then BullMQ. */
const ORDER: readonly SystemName[] = ["upnext", "bullmq"];
const SYSTEMS: Readonly<Record<SystemName, BenchSystem>> = { upnext: upnextSystem, bullmq: bullmqSystem };

// --- Redis admin (machine info, CPU counters, key cleanup) ------------------------------------

// A Worker that is never started, used only for its Redis connection.
const admin = new Worker({
  name: "bench-admin",
  namespace: "bench-admin",
  redis: REDIS_URL,
  handleSignals: false,
});
const redis = admin.connection.redis;

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

async function configGet(name: string): Promise<string> {
  const reply = (await redis.config("GET", name)) as unknown;
  return Array.isArray(reply) && typeof reply[1] === "string" ? reply[1] : "";
}

interface RedisCounters {
  readonly cpuS: number;
  readonly forks: number;
}

async function redisCounters(): Promise<RedisCounters> {
  const cpu = parseInfo(await redis.info("cpu"));
  const stats = parseInfo(await redis.info("stats"));
  return {
    cpuS: Number(cpu.get("used_cpu_sys") ?? 0) + Number(cpu.get("used_cpu_user") ?? 0),
    forks: Number(stats.get("total_forks") ?? 0),
  };
}

async function unlinkMatching(pattern: string): Promise<number> {
  let cursor = "0";
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1_000);
    cursor = next;
    if (keys.length > 0) removed += await redis.unlink(...keys);
  } while (cursor !== "0");
  return removed;
}

async function cleanup(systemName: SystemName, queues: readonly string[]): Promise<void> {
  const sys = SYSTEMS[systemName];
  for (const queue of queues) {
    await sys.cleanup?.(REDIS_URL, queue);
    const left = await unlinkMatching(sys.keyPattern(queue));
    if (sys.cleanup && left > 0)
      console.log(`  note: ${left} ${queue} key(s) were left after obliterate; unlinked`);
  }
}

async function machineInfo(): Promise<Record<string, unknown>> {
  const server = parseInfo(await redis.info("server"));
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    cores: os.availableParallelism(),
    totalMemGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    nodeVersion: process.version,
    redisVersion: server.get("redis_version") ?? "unknown",
    redisPersistence: { save: await configGet("save"), appendonly: await configGet("appendonly") },
    date: new Date().toISOString(),
  };
}

// --- worker child ----------------------------------------------------------------------------

type MessageOf<T extends ChildMessage["type"]> = Extract<ChildMessage, { type: T }>;

/** One forked worker process and its ordered inbox of IPC messages. */
class ChildHandle {
  private readonly process: ChildProcess;
  private readonly inbox: ChildMessage[] = [];
  private wake: (() => void) | undefined;
  private exitError: Error | undefined;
  private stopping: Promise<void> | undefined;
  private readonly exited: Promise<void>;

  constructor(spec: ChildSpec, label: string) {
    const execArgv = ["--import", "tsx"];
    if (cpuProf)
      execArgv.push("--cpu-prof", `--cpu-prof-dir=${RESULTS_DIR}`, `--cpu-prof-name=${label}.cpuprofile`);
    if (heapProf)
      execArgv.push("--heap-prof", `--heap-prof-dir=${RESULTS_DIR}`, `--heap-prof-name=${label}.heapprofile`);
    this.process = fork(CHILD_PATH, [JSON.stringify(spec)], {
      execArgv,
      env: { ...process.env, UPNEXT_LOG_LEVEL: "warn", UPNEXT_REDIS_URL: spec.redisUrl },
    });
    this.process.on("message", (message: unknown) => {
      if (!isChildMessage(message)) return;
      this.inbox.push(message);
      this.wake?.();
    });
    // Failing to fork or to send: recorded, so the next wait fails instead of the process crashing.
    this.process.on("error", (error) => {
      this.exitError ??= error;
      this.wake?.();
    });
    this.exited = new Promise((resolve) => {
      this.process.once("exit", (code, signal) => {
        this.exitError = new Error(
          `worker child ${label} exited (code ${code ?? "-"}, signal ${signal ?? "-"})`,
        );
        this.wake?.();
        resolve();
      });
    });
  }

  /** The next message, which must be of `type` (an "error" message rejects with the child's stack). */
  async next<T extends ChildMessage["type"]>(type: T, timeoutMs: number): Promise<MessageOf<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.inbox.shift();
      if (message) {
        if (message.type === "error") throw new Error(`worker child failed:\n${message.message}`);
        if (message.type !== type)
          throw new Error(`expected '${type}' from the worker child, got '${message.type}'`);
        return message as MessageOf<T>;
      }
      if (this.exitError) throw this.exitError;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for '${type}' from the worker child (rerun with --verbose to see its counters)`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  send(message: ParentMessage): void {
    this.process.send(message);
  }

  /** Asks the child to stop its worker and waits for it to exit; kills it if it does not. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<void> {
    try {
      if (!this.running) return;
      this.send({ type: "stop" });
      await this.next("stopped", 60_000);
      await Promise.race([this.exited, sleep(10_000)]);
    } finally {
      if (this.running) this.process.kill();
    }
  }

  private get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }
}

/** 1-minute load average; above the core count, something else competes for the CPU. */
function loadAverage(): number {
  return round2(os.loadavg()[0] ?? 0);
}

/** With --verbose, prints how long each phase of a run took. */
function phases(label: string): (phase: string) => void {
  const started = Date.now();
  return (phase) => {
    if (verbose) console.log(`\n  [${label}] ${phase} at +${Date.now() - started} ms`);
  };
}

// --- workloads -------------------------------------------------------------------------------

interface WorkloadResult {
  readonly name: WorkloadName;
  readonly system: SystemName;
  readonly jobs: number;
  readonly throughput_per_s: number | null;
  readonly p50_ms: number | null;
  readonly p95_ms: number | null;
  readonly p99_ms: number | null;
  readonly rss_mb: number;
  readonly [extra: string]: unknown;
}

function perSecond(count: number, ms: number): number | null {
  return ms > 0 ? Math.round((count / ms) * 1000) : null;
}

function retentionNote(systemName: SystemName): string {
  return systemName === "upnext"
    ? "UpNext keeps finished jobs for UPNEXT_JOB_RETENTION (default 24h); keys deleted after the run"
    : "BullMQ defaults: removeOnComplete/removeOnFail not set (finished jobs kept); queue obliterated after the run";
}

function commonFields(
  systemName: SystemName,
  result: ChildResult,
  before: RedisCounters,
  after: RedisCounters,
  order: number,
  queue: string,
  loadAtStart: number,
): Record<string, unknown> {
  return {
    completed: result.completed,
    timed_out: result.timedOut,
    concurrency: CONCURRENCY,
    rss_baseline_mb: result.baselineRssMb,
    worker_cpu_s: result.cpuS,
    redis_cpu_s: round2(after.cpuS - before.cpuS),
    redis_forks: after.forks - before.forks,
    run_order: order,
    loadavg_1m: loadAtStart,
    queue,
    job_retention: retentionNote(systemName),
    details: result.details,
  };
}

async function enqueueChunks(
  sys: BenchSystem,
  queue: string,
  total: number,
  warm: boolean,
): Promise<{ callerMs: number; flushedMs: number }> {
  const producer = sys.createProducer(REDIS_URL, queue);
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

async function runBurst(systemName: SystemName, order: number, runId: string): Promise<WorkloadResult> {
  const sys = SYSTEMS[systemName];
  const queue = `bench-${runId}-burst-${systemName}`;
  const warmQueue = `${queue}-warm`;
  const label = `burst-${systemName}`;
  const loadAtStart = loadAverage();
  const child = new ChildHandle(
    {
      system: systemName,
      mode: "burst",
      redisUrl: REDIS_URL,
      queue,
      warmQueue,
      warmJobs: WARM_JOBS,
      concurrency: CONCURRENCY,
      burstJobs: BURST_JOBS,
      drainTimeoutMs: DRAIN_TIMEOUT_MS,
      verbose,
    },
    label,
  );
  const mark = phases(label);
  try {
    await child.next("ready", 30_000);
    mark("child ready");
    await enqueueChunks(sys, warmQueue, WARM_JOBS, true);
    await child.next("warm-done", 30_000);
    mark("warm-up done");

    const enqueue = await enqueueChunks(sys, queue, BURST_JOBS, false);
    mark("burst enqueued");
    const before = await redisCounters();
    child.send({ type: "go" });
    const { result } = await child.next("result", DRAIN_TIMEOUT_MS + 30_000);
    mark("burst processed");
    const after = await redisCounters();
    await child.stop();
    mark("child stopped");
    const processingMs =
      result.firstStart !== null && result.lastFinish !== null ? result.lastFinish - result.firstStart : 0;
    return {
      name: "burst",
      system: systemName,
      jobs: BURST_JOBS,
      throughput_per_s: perSecond(result.completed, processingMs),
      p50_ms: null,
      p95_ms: null,
      p99_ms: null,
      rss_mb: result.peakRssMb,
      latency: null,
      p50_finish_ms: null,
      p95_finish_ms: null,
      p99_finish_ms: null,
      enqueue_per_s: perSecond(BURST_JOBS, enqueue.callerMs),
      enqueue_flushed_per_s: perSecond(BURST_JOBS, enqueue.flushedMs),
      elapsed_s: round2(processingMs / 1000),
      ...commonFields(systemName, result, before, after, order, queue, loadAtStart),
    };
  } finally {
    await child.stop().catch(() => undefined);
    await cleanup(systemName, [queue, warmQueue]);
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
      if (sent >= total || wasInterrupted()) {
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
  systemName: SystemName,
  order: number,
  runId: string,
): Promise<WorkloadResult> {
  const sys = SYSTEMS[systemName];
  const queue = `bench-${runId}-${plan.name}-${systemName}`;
  const label = `${plan.name}-${systemName}`;
  const loadAtStart = loadAverage();
  const child = new ChildHandle(
    {
      system: systemName,
      mode: "sustained",
      redisUrl: REDIS_URL,
      queue,
      warmQueue: null,
      warmJobs: WARM_JOBS,
      concurrency: CONCURRENCY,
      burstJobs: 0,
      drainTimeoutMs: DRAIN_TIMEOUT_MS,
      verbose,
    },
    label,
  );
  const producer = sys.createProducer(REDIS_URL, queue);
  const mark = phases(label);
  try {
    await child.next("ready", 30_000);
    mark("child ready");
    await producer.connect();
    // Warm up through the same submit() path, 50 at a time.
    for (let done = 0; done < WARM_JOBS; done += 50) {
      const batch = Math.min(50, WARM_JOBS - done);
      await Promise.all(Array.from({ length: batch }, () => producer.submitOne({ t: now(), w: 1 })));
    }
    await child.next("warm-done", 30_000);
    mark("warm-up done");

    const before = await redisCounters();
    const schedule = await openLoop((input) => producer.submitOne(input), plan.rate, SUSTAINED_S);
    mark("schedule done");
    const accepted = schedule.submitted - schedule.failed;
    child.send({ type: "expect", count: accepted });
    const { result } = await child.next("result", DRAIN_TIMEOUT_MS + 30_000);
    mark("all finished");
    const after = await redisCounters();
    await child.stop();
    mark("child stopped");
    const elapsedMs = result.lastFinish !== null ? result.lastFinish - schedule.startedAt : 0;
    return {
      name: plan.name,
      system: systemName,
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
      duration_s: SUSTAINED_S,
      submit_errors: schedule.failed,
      producer_max_lag_ms: schedule.maxLagMs,
      elapsed_s: round2(elapsedMs / 1000),
      ...commonFields(systemName, result, before, after, order, queue, loadAtStart),
    };
  } finally {
    await producer.close().catch(() => undefined);
    await child.stop().catch(() => undefined);
    await cleanup(systemName, [queue]);
    mark("keys deleted");
  }
}

// --- output ----------------------------------------------------------------------------------

interface Column {
  readonly title: string;
  readonly key: string;
  /** How an UpNext/BullMQ ratio reads: ">1" means higher is better for UpNext. */
  readonly better: ">1" | "<1";
  readonly digits: number;
}

const COLUMNS: readonly Column[] = [
  { title: "enqueue/s", key: "enqueue_per_s", better: ">1", digits: 0 },
  { title: "done/s", key: "throughput_per_s", better: ">1", digits: 0 },
  { title: "start p50", key: "p50_ms", better: "<1", digits: 2 },
  { title: "p95", key: "p95_ms", better: "<1", digits: 2 },
  { title: "p99", key: "p99_ms", better: "<1", digits: 2 },
  { title: "finish p50", key: "p50_finish_ms", better: "<1", digits: 2 },
  { title: "p95", key: "p95_finish_ms", better: "<1", digits: 2 },
  { title: "p99", key: "p99_finish_ms", better: "<1", digits: 2 },
  { title: "RSS MB", key: "rss_mb", better: "<1", digits: 1 },
  { title: "wkr cpu s", key: "worker_cpu_s", better: "<1", digits: 2 },
  { title: "redis cpu s", key: "redis_cpu_s", better: "<1", digits: 2 },
];

function numberAt(row: WorkloadResult | undefined, key: string): number | null {
  const value = row?.[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function ratio(upnext: number | null, bullmq: number | null): string {
  if (upnext === null || bullmq === null || bullmq === 0) return "-";
  return `${(upnext / bullmq).toFixed(2)}x`;
}

function renderTable(results: readonly WorkloadResult[]): string {
  const header = ["workload", "system", "jobs", ...COLUMNS.map((column) => column.title)];
  const rows: string[][] = [
    header,
    ["", "better if", "", ...COLUMNS.map((column) => `ratio ${column.better}`)],
  ];
  for (const plan of PLANS) {
    const byWorkload = results.filter((row) => row.name === plan.name);
    if (byWorkload.length === 0) continue;
    for (const row of byWorkload) {
      rows.push([
        row.name,
        SYSTEM_LABEL[row.system],
        String(row.jobs),
        ...COLUMNS.map((column) => numberAt(row, column.key)?.toFixed(column.digits) ?? "-"),
      ]);
    }
    const upnext = byWorkload.find((row) => row.system === "upnext");
    const bullmq = byWorkload.find((row) => row.system === "bullmq");
    rows.push([
      plan.name,
      "UpNext/BullMQ",
      "",
      ...COLUMNS.map((column) => ratio(numberAt(upnext, column.key), numberAt(bullmq, column.key))),
    ]);
  }
  const widths = header.map((_, index) => Math.max(...rows.map((row) => (row[index] ?? "").length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, index) => (index < 2 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0)))
      .join("  ");
  const rule = "-".repeat(widths.reduce((sum, width) => sum + width + 2, -2));
  const out = [line(header), line(rows[1] ?? []), rule];
  let previous = "";
  for (const row of rows.slice(2)) {
    if (row[0] !== previous && previous !== "") out.push(rule);
    previous = row[0] ?? "";
    out.push(line(row));
  }
  return out.join("\n");
}

function find(results: readonly WorkloadResult[], name: WorkloadName, systemName: SystemName) {
  return results.find((row) => row.name === name && row.system === systemName);
}

function targets(results: readonly WorkloadResult[]): string[] {
  const lines: string[] = [];
  const skip = (what: string) => lines.push(`SKIP ${what} (workload not run)`);

  const burstU = find(results, "burst", "upnext");
  const burstB = find(results, "burst", "bullmq");
  if (burstU && burstB) {
    const u = burstU.throughput_per_s ?? 0;
    const b = burstB.throughput_per_s ?? 0;
    const pass = b > 0 && u >= 1.5 * b;
    lines.push(
      `${pass ? "PASS" : "MISS"} burst processing throughput: UpNext ${u}/s = ${ratio(u, b)} BullMQ ${b}/s (target >= 1.50x)`,
    );
    if (!pass)
      lines.push(
        "     hint: profile the UpNext worker with `npm run bench -- --only=burst --cpu-prof` and open",
        "           bench/results/burst-upnext.cpuprofile in Chrome DevTools; compare worker_cpu_s with",
        "           redis_cpu_s in the JSON to see which side saturates; `redis-cli INFO commandstats` for",
        "           per-script Redis time.",
      );
  } else skip("burst throughput target");

  const susU = find(results, "sustained-2000", "upnext");
  const susB = find(results, "sustained-2000", "bullmq");
  if (susU && susB) {
    const u = susU.p99_ms;
    const b = susB.p99_ms;
    const pass = u !== null && b !== null && u <= b;
    lines.push(
      `${pass ? "PASS" : "MISS"} sustained-2000 p99 enqueue->start: UpNext ${u ?? "-"} ms vs BullMQ ${b ?? "-"} ms (target UpNext <= BullMQ)`,
    );
    if (!pass)
      lines.push(
        "     hint: `npm run bench -- --only=sustained-2000 --cpu-prof`, then look for long tasks in",
        "           bench/results/sustained-2000-upnext.cpuprofile (event-loop stalls show up directly in p99);",
        "           check details.statusBuffer (blockedPublishers) and producer_max_lag_ms in the JSON.",
      );
  } else skip("sustained-2000 p99 target");

  if (burstU) {
    const pass = burstU.rss_mb < 200;
    lines.push(
      `${pass ? "PASS" : "MISS"} UpNext worker peak RSS during burst: ${burstU.rss_mb} MB (target < 200 MB)`,
    );
    if (!pass)
      lines.push(
        "     hint: `npm run bench -- --only=burst --heap-prof` writes bench/results/burst-upnext.heapprofile",
        "           (open in Chrome DevTools > Memory); check prefetch and the status buffer size.",
      );
  } else skip("burst RSS target");
  return lines;
}

// --- main ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const runId = Date.now().toString(36);
  const machine = await machineInfo();
  const plans = PLANS.filter((plan) => only.includes(plan.name));
  console.log(
    `UpNext vs BullMQ | ${quick ? "quick" : "full"} run | concurrency ${CONCURRENCY} | redis ${String(machine.redisVersion)} at ${REDIS_URL}`,
  );
  console.log(
    `burst ${BURST_JOBS} jobs, sustained ${SUSTAINED_S} s, warm-up ${WARM_JOBS} jobs; order per workload: ${ORDER.map((name) => SYSTEM_LABEL[name]).join(" then ")}\n`,
  );

  const load = loadAverage();
  if (load > os.availableParallelism() / 2)
    console.log(
      `warning: 1-minute load average is ${load} on ${os.availableParallelism()} cores; other processes will add noise.\n`,
    );

  const results: WorkloadResult[] = [];
  let order = 0;
  for (const plan of plans) {
    for (const systemName of ORDER) {
      if (wasInterrupted()) throw new Error("interrupted");
      order++;
      const started = Date.now();
      process.stdout.write(`[${order}] ${plan.name} / ${SYSTEM_LABEL[systemName]} ... `);
      const result =
        plan.mode === "burst"
          ? await runBurst(systemName, order, runId)
          : await runSustained(plan, systemName, order, runId);
      results.push(result);
      const timedOut = result.timed_out === true ? " (TIMED OUT: not every job finished)" : "";
      console.log(`${((Date.now() - started) / 1000).toFixed(1)} s${timedOut}`);
      await sleep(PAUSE_BETWEEN_RUNS_MS);
    }
  }

  console.log("");
  console.log(renderTable(results));
  console.log(
    "\nratios are UpNext/BullMQ: for enqueue/s and done/s > 1 favours UpNext; for latencies, RSS and CPU < 1 does.",
  );
  console.log(
    "start = enqueue->handler start, finish = enqueue->outcome stored (ms; sustained only). burst done/s = first start -> last stored.",
  );
  console.log("\ntargets:");
  for (const line of targets(results)) console.log(`  ${line}`);

  await mkdir(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}${fullRun ? "latest.json" : "partial.json"}`;
  await writeFile(file, `${JSON.stringify({ machine, workloads: results }, null, 2)}\n`);
  console.log(`\nwrote ${file}${fullRun ? "" : " (not a full run, so latest.json is left as it was)"}`);
}

try {
  await main();
} catch (error) {
  if (!wasInterrupted()) throw error;
  console.log("\ninterrupted; the keys of the interrupted run were deleted");
  process.exitCode = 130;
} finally {
  await admin.stop();
}
