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
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { renderIdle, runIdle, type IdleResult } from "./idle.js";
import { RedisAdmin } from "./redis-admin.js";
import { printReport } from "./report.js";
import { SERVER_SCRIPT_NAMES, isServerScriptName, runServerScripts } from "./server-scripts.js";
import { BULLMQ_RETENTIONS, contenderLabel, type Contender } from "./shared.js";
import {
  CONCURRENCY,
  PLANS,
  WORKLOAD_NAMES,
  isWorkloadName,
  loadAverage,
  runTracing,
  runWorkload,
  type WorkloadContext,
  type WorkloadResult,
} from "./workloads.js";

// --- options ---------------------------------------------------------------------------------

const HELP = `usage: npm run bench [-- options]
  --quick               fast sanity run (2,000-job burst, 3 s sustained); writes results/partial.json
  --only=a[,b]          run only these workloads (burst, sustained-500, sustained-2000, tracing,
                        idle: 20 started workers x 50 functions with nothing to do, Redis commands/s and CPU,
                        artifacts: a 1 GB upload to a server process, its RSS growth; 256 MB with --quick,
                        ingest: history ingest drain events/s and lag at 2,000 jobs/s, SQLite and PostgreSQL,
                        history: the REST API over 1,000,000 jobs in PostgreSQL; 100,000 with --quick,
                        http: requests/s of Fastify, Express and Hono with and without upnext/http tracking)
  --verbose             print phase timings and the worker children's counters
  --cpu-prof            write a CPU profile of every worker child to bench/results/
  --heap-prof           write a sampling heap profile of every worker child to bench/results/
Environment: UPNEXT_REDIS_URL (default redis://127.0.0.1:6379), UPNEXT_BENCH_POSTGRES_URL (history).`;

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
const IDLE = "idle";
const only = onlyArg?.slice("--only=".length).split(",") ?? [...WORKLOAD_NAMES, IDLE, ...SERVER_SCRIPT_NAMES];
const badNames = only.filter((name) => !isWorkloadName(name) && name !== IDLE && !isServerScriptName(name));
if (badNames.length > 0) {
  console.error(
    `unknown workload(s): ${badNames.join(", ")}; known: ${[...WORKLOAD_NAMES, IDLE, ...SERVER_SCRIPT_NAMES].join(", ")}`,
  );
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

// --- setup -----------------------------------------------------------------------------------

const WARM_JOBS = quick ? 200 : 500;
const BURST_JOBS = quick ? 2_000 : 20_000;
const SUSTAINED_S = quick ? 3 : 10;
const DRAIN_TIMEOUT_MS = quick ? 15_000 : 30_000;
/** The tracing workload runs each of its three arms this many times (medians are compared). */
const TRACING_ROUNDS = quick ? 1 : 5;
/** The idle workload's measured window. */
const IDLE_WINDOW_S = quick ? 5 : 15;
const PAUSE_BETWEEN_RUNS_MS = 1_000;

const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));

/** Within each workload UpNext runs first, then BullMQ in each of its retention settings. */
const ORDER: readonly Contender[] = [
  { system: "upnext", retention: null },
  ...BULLMQ_RETENTIONS.map((retention): Contender => ({ system: "bullmq", retention })),
];

const admin = new RedisAdmin(REDIS_URL);
const context: WorkloadContext = {
  redisUrl: REDIS_URL,
  warmJobs: WARM_JOBS,
  burstJobs: BURST_JOBS,
  sustainedS: SUSTAINED_S,
  drainTimeoutMs: DRAIN_TIMEOUT_MS,
  verbose,
  profiling: { cpu: cpuProf, heap: heapProf, dir: RESULTS_DIR },
  admin,
  interrupted: wasInterrupted,
  tracingRounds: TRACING_ROUNDS,
};

// --- main ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const runId = Date.now().toString(36);
  const machine = await admin.machineInfo();
  const plans = PLANS.filter((plan) => only.includes(plan.name));
  const scripts = only.filter(isServerScriptName);
  const runsIdle = only.includes(IDLE);
  if (plans.length === 0 && !runsIdle) {
    await runServerScripts(scripts, quick);
    return;
  }
  console.log(
    `UpNext vs BullMQ | ${quick ? "quick" : "full"} run | concurrency ${CONCURRENCY} | redis ${String(machine.redisVersion)} at ${REDIS_URL}`,
  );
  console.log(
    `burst ${BURST_JOBS} jobs, sustained ${SUSTAINED_S} s, warm-up ${WARM_JOBS} jobs; order per workload: ${ORDER.map(contenderLabel).join(", ")}; tracing: UpNext only, ${TRACING_ROUNDS} round(s) of off / api / sdk\n`,
  );

  const load = loadAverage();
  if (load > os.availableParallelism() / 2)
    console.log(
      `warning: 1-minute load average is ${load} on ${os.availableParallelism()} cores; other processes will add noise.\n`,
    );

  const results: WorkloadResult[] = [];
  let order = 0;
  const timed = async (label: string, run: () => Promise<WorkloadResult>): Promise<WorkloadResult> => {
    const started = Date.now();
    process.stdout.write(`[${order}] ${label} ... `);
    const result = await run();
    const timedOut = result.timed_out === true ? " (TIMED OUT: not every job finished)" : "";
    console.log(`${((Date.now() - started) / 1000).toFixed(1)} s${timedOut}`);
    await sleep(PAUSE_BETWEEN_RUNS_MS);
    return result;
  };
  for (const plan of plans) {
    if (plan.name === "tracing") {
      const tracing = await runTracing(order + 1, runId, context, (label, run) => {
        order++;
        return timed(label, run);
      });
      results.push(...tracing);
      continue;
    }
    for (const contender of ORDER) {
      if (wasInterrupted()) throw new Error("interrupted");
      order++;
      const run = order;
      results.push(
        await timed(`${plan.name} / ${contenderLabel(contender)}`, () =>
          runWorkload(plan, contender, run, runId, context),
        ),
      );
    }
  }

  let idle: IdleResult | null = null;
  if (runsIdle) {
    process.stdout.write(`[${order + 1}] idle / UpNext ... `);
    const started = Date.now();
    idle = await runIdle(runId, REDIS_URL, admin, IDLE_WINDOW_S);
    console.log(`${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  if (results.length > 0) printReport(results);
  if (idle) console.log(`\n${renderIdle(idle).join("\n")}`);

  await mkdir(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}${fullRun ? "latest.json" : "partial.json"}`;
  await writeFile(file, `${JSON.stringify({ machine, workloads: results, idle }, null, 2)}\n`);
  console.log(`\nwrote ${file}${fullRun ? "" : " (not a full run, so latest.json is left as it was)"}`);
  await runServerScripts(scripts, quick);
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
