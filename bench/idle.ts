/**
 * The idle workload (`--only=idle`, UpNext alone): what a fleet of started workers with nothing
 * to do costs Redis. IDLE_WORKERS workers, each serving the same IDLE_FUNCTIONS no-op tasks, run
 * in one child process (idle-child.ts); after a settling pause the parent reads Redis's counters
 * over a window: commands/s (the busiest by name), Redis CPU as a share of one core, and the
 * fleet process's own CPU. Then a worker of its own process takes a job and is killed with
 * SIGKILL; the time from that job's lease expiry until the fleet's maintenance puts it back in
 * the queue is measured (the bound: the lease expiry plus one sweep, UPNEXT_PROMOTE_INTERVAL).
 */
import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { functionKeys } from "@upnext/core";
import { Worker } from "upnext";
import { VICTIM_TASK, type IdleChildSpec, type IdleMessage } from "./idle-shared.js";
import { busyShare, cpuTicks } from "./machine-cpu.js";
import type { CommandStats, RedisAdmin } from "./redis-admin.js";
import { now, round2 } from "./shared.js";
import { system as upnextSystem } from "./system-upnext.js";

export const IDLE_WORKERS = 20;
export const IDLE_FUNCTIONS = 50;
const SETTLE_MS = 3_000;
/** The victim's lease: short, so the recovery check does not take long. */
const VICTIM_LEASE_MS = 2_000;
/** Commands listed by name in the report (the busiest). */
const TOP_COMMANDS = 8;
const POLL_MS = 5;
/** Workers re-read the namespace's functions this often (runtime/maintenance.ts): wait for that. */
const FUNCTION_LIST_REFRESH_MS = 5_000;

const CHILD_PATH = fileURLToPath(new URL("./idle-child.ts", import.meta.url));

export interface IdleResult {
  readonly name: "idle";
  readonly system: "upnext";
  readonly workers: number;
  readonly functions: number;
  readonly window_s: number;
  readonly redis_commands_per_s: number;
  /** Redis CPU time over the window, as a share of one core (0.02 = 2%). */
  readonly redis_cpu_core_share: number;
  /** The process running every idle worker, as a share of one core. */
  readonly workers_cpu_core_share: number;
  /** The busiest commands: calls/s and Redis µs/s each. */
  readonly by_command: Readonly<Record<string, { calls_per_s: number; usec_per_s: number }>>;
  /** The killed worker's lease expiry -> its job queued again, ms. */
  readonly recovery_after_expiry_ms: number;
  readonly victim_lease_ms: number;
  readonly machine_busy: number | null;
  readonly loadavg_1m: number;
}

/** A forked idle-child.ts and its inbox of IPC messages. */
class IdleChild {
  private readonly process: ChildProcess;
  private readonly inbox: IdleMessage[] = [];
  private wake: (() => void) | undefined;
  private exited = false;

  constructor(spec: IdleChildSpec) {
    this.process = fork(CHILD_PATH, [JSON.stringify(spec)], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, UPNEXT_LOG_LEVEL: "warn", UPNEXT_REDIS_URL: spec.redisUrl },
    });
    this.process.on("message", (message: IdleMessage) => {
      this.inbox.push(message);
      this.wake?.();
    });
    this.process.once("exit", () => {
      this.exited = true;
      this.wake?.();
    });
  }

  async next<T extends IdleMessage["type"]>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<IdleMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.inbox.shift();
      if (message?.type === "error") throw new Error(`idle child failed:\n${message.message}`);
      if (message?.type === type) return message as Extract<IdleMessage, { type: T }>;
      if (message) continue;
      if (this.exited) throw new Error(`the idle child exited while waiting for '${type}'`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for '${type}' from the idle child`);
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

  send(message: { type: "cpu" | "stop" }): void {
    this.process.send(message);
  }

  // A method, not the field, after an await: the exit handler flips it behind the checker's back.
  private hasExited(): boolean {
    return this.exited;
  }

  async kill(): Promise<void> {
    if (this.hasExited()) return;
    this.process.kill("SIGKILL");
    while (!this.hasExited()) await sleep(10);
  }

  async stop(): Promise<void> {
    if (this.hasExited()) return;
    this.send({ type: "stop" });
    const deadline = Date.now() + 30_000;
    while (!this.hasExited() && Date.now() < deadline) await sleep(100);
    await this.kill();
  }
}

function commandDeltas(
  before: CommandStats,
  after: CommandStats,
  seconds: number,
): Record<string, { calls_per_s: number; usec_per_s: number }> {
  const rows = [...after.entries()].map(([name, stat]) => {
    const previous = before.get(name) ?? { calls: 0, usec: 0 };
    return {
      name,
      calls: (stat.calls - previous.calls) / seconds,
      usec: (stat.usec - previous.usec) / seconds,
    };
  });
  rows.sort((a, b) => b.calls - a.calls);
  return Object.fromEntries(
    rows
      .filter((row) => row.calls > 0)
      .slice(0, TOP_COMMANDS)
      .map((row) => [row.name, { calls_per_s: Math.round(row.calls), usec_per_s: Math.round(row.usec) }]),
  );
}

/**
 * Kills a worker holding a job and measures how long after its lease expired the fleet put the
 * job back in the queue. Nobody serves the victim's function afterwards, so the job stays
 * queued where it can be seen.
 */
async function recoveryAfterKill(redisUrl: string, namespace: string): Promise<number> {
  const victim = new IdleChild({
    role: "victim",
    redisUrl,
    namespace,
    workers: 1,
    functions: 0,
    leaseMs: VICTIM_LEASE_MS,
  });
  const producer = new Worker({ name: "idle-producer", namespace, redis: redisUrl, handleSignals: false });
  const redis = producer.connection.redis;
  try {
    await victim.next("ready", 60_000);
    // The fleet must know the victim's function (and the victim) before the lease can lapse.
    await sleep(FUNCTION_LIST_REFRESH_MS + 1_000);
    await producer.task(VICTIM_TASK, {}, () => null).submit({});
    const { jobId } = await victim.next("started", 30_000);
    await victim.kill();
    // Read after the kill: no renewal can move it any more.
    const expiry = Number(await redis.zscore(functionKeys(namespace, VICTIM_TASK).leases, jobId));
    const jobKey = functionKeys(namespace, VICTIM_TASK).job(jobId);
    const deadline = Date.now() + VICTIM_LEASE_MS + 60_000;
    while (Date.now() < deadline) {
      if ((await redis.hget(jobKey, "status")) === "queued") return Math.round(Date.now() - expiry);
      await sleep(POLL_MS);
    }
    throw new Error(`the killed worker's job ${jobId} was not recovered within 60 s of its lease expiry`);
  } finally {
    await victim.kill();
    await producer.stop();
  }
}

export async function runIdle(
  runId: string,
  redisUrl: string,
  admin: RedisAdmin,
  windowS: number,
): Promise<IdleResult> {
  const namespace = `bench-${runId}-idle-upnext`;
  const loadavg = round2(os.loadavg()[0] ?? 0);
  const fleet = new IdleChild({
    role: "fleet",
    redisUrl,
    namespace,
    workers: IDLE_WORKERS,
    functions: IDLE_FUNCTIONS,
    leaseMs: 30_000,
  });
  try {
    await fleet.next("ready", 120_000);
    await sleep(SETTLE_MS);
    fleet.send({ type: "cpu" });
    const cpuBefore = (await fleet.next("cpu", 10_000)).cpuS;
    const before = { redis: await admin.counters(), stats: await admin.commandStats(), cpu: cpuTicks() };
    const started = now();
    await sleep(windowS * 1000);
    const after = { redis: await admin.counters(), stats: await admin.commandStats(), cpu: cpuTicks() };
    const seconds = (now() - started) / 1000;
    fleet.send({ type: "cpu" });
    const cpuAfter = (await fleet.next("cpu", 10_000)).cpuS;
    const recovery = await recoveryAfterKill(redisUrl, namespace);
    const share = (value: number) => Math.round((value / seconds) * 10_000) / 10_000;
    return {
      name: "idle",
      system: "upnext",
      workers: IDLE_WORKERS,
      functions: IDLE_FUNCTIONS,
      window_s: round2(seconds),
      redis_commands_per_s: Math.round((after.redis.commands - before.redis.commands) / seconds),
      redis_cpu_core_share: share(after.redis.cpuS - before.redis.cpuS),
      workers_cpu_core_share: share(cpuAfter - cpuBefore),
      by_command: commandDeltas(before.stats, after.stats, seconds),
      recovery_after_expiry_ms: recovery,
      victim_lease_ms: VICTIM_LEASE_MS,
      machine_busy: busyShare(before.cpu, after.cpu),
      loadavg_1m: loadavg,
    };
  } finally {
    await fleet.stop();
    await admin.cleanup(upnextSystem, [namespace]);
  }
}

/** The idle section of the report, with its target. */
export function renderIdle(result: IdleResult): string[] {
  const pct = (share: number) => `${(share * 100).toFixed(2)}%`;
  const pass = result.redis_cpu_core_share < 0.02;
  return [
    `idle: ${result.workers} started workers x ${result.functions} functions with nothing to do, ${result.window_s} s window (machine busy ${result.machine_busy ?? "-"}):`,
    `  Redis ${result.redis_commands_per_s} commands/s, CPU ${pct(result.redis_cpu_core_share)} of a core; the workers' process ${pct(result.workers_cpu_core_share)} of a core`,
    `  busiest (calls/s, Redis µs/s): ${Object.entries(result.by_command)
      .map(([name, stat]) => `${name} ${stat.calls_per_s} (${stat.usec_per_s})`)
      .join(", ")}`,
    `  a SIGKILLed worker's job was queued again ${result.recovery_after_expiry_ms} ms after its lease expired (lease ${result.victim_lease_ms} ms)`,
    `  ${pass ? "PASS" : "MISS"} idle Redis CPU < 2% of a core: ${pct(result.redis_cpu_core_share)}`,
  ];
}
