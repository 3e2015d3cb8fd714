/**
 * `npm run bench -- --only=http`: the cost of `upnext/http` request tracking. For Fastify,
 * Express and Hono, a hello-world route (`GET /hello/:name`) is served by a child process with
 * and without the tracker, and loaded by autocannon (50 connections) in this process; the arms
 * alternate (plain, tracked, plain, tracked, ...) and each arm's median is compared. Two
 * figures: requests/s, and the server's CPU time per request, which a busy machine disturbs far
 * less (for a CPU-bound server on an idle machine the two costs are the same). Target: tracking
 * costs at most 5%. Tracked servers report to the local Redis under a
 * namespace of their own, deleted at the end.
 */
import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { deleteNamespace } from "./redis-keys.js";

const quick = process.argv.includes("--quick");
const DURATION_S = quick ? 3 : 10;
const ROUNDS = quick ? 2 : 3;
const CONNECTIONS = 50;
const TARGET_COST = 0.05;
const FRAMEWORKS = ["fastify", "express", "hono"] as const;
const SERVER = fileURLToPath(new URL("http-server.ts", import.meta.url));
const namespace = `bench-http-${randomBytes(3).toString("hex")}`;

interface ServerChild {
  readonly child: ChildProcess;
  readonly port: number;
  /** Resolves with the CPU time (µs) the server reports when stopped. */
  readonly cpu: Promise<number>;
}

async function startServer(framework: string, mode: "plain" | "tracked"): Promise<ServerChild> {
  const child = spawn(process.execPath, ["--import", "tsx", SERVER, framework, mode, namespace], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, UPNEXT_LOG_LEVEL: "warn" },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const line = (pattern: RegExp): Promise<number> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(output);
        if (match) resolve(Number(match[1]));
      };
      child.stdout.on("data", check);
      child.once("exit", (code) => {
        check();
        reject(new Error(`${framework} ${mode} server exited with ${String(code)}`));
      });
    });
  const port = await line(/port (\d+)/);
  return { child, port, cpu: line(/cpu (\d+)/) };
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

interface Measured {
  readonly requestsPerSecond: number;
  readonly cpuMicrosPerRequest: number;
}

async function measure(framework: string, mode: "plain" | "tracked"): Promise<Measured> {
  const { child, port, cpu } = await startServer(framework, mode);
  let served = 0;
  let requestsPerSecond = 0;
  try {
    const url = `http://127.0.0.1:${port}/hello/bench`;
    // Warm-up: JIT and connection set-up are not part of the requests/s figure.
    const warm = await autocannon({ url, connections: CONNECTIONS, duration: 1 });
    const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S });
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${framework} ${mode}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
    }
    served = warm.requests.total + result.requests.total;
    requestsPerSecond = result.requests.average;
  } finally {
    await stopServer(child);
  }
  return { requestsPerSecond, cpuMicrosPerRequest: served === 0 ? 0 : (await cpu) / served };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

const redis = new Redis(process.env.UPNEXT_REDIS_URL ?? "redis://127.0.0.1:6379");
let missed = false;
try {
  console.log(
    `\nhttp: requests/s on GET /hello/:name, ${CONNECTIONS} connections, ${DURATION_S} s x ${ROUNDS} rounds per arm`,
  );
  console.log("framework  plain req/s  tracked req/s  cost    plain µs/req  tracked µs/req  cost");
  const pct = (value: number): string => `${(value * 100).toFixed(1)}%`.padStart(6);
  for (const framework of FRAMEWORKS) {
    const plain: Measured[] = [];
    const tracked: Measured[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      plain.push(await measure(framework, "plain"));
      tracked.push(await measure(framework, "tracked"));
    }
    const rps = [
      median(plain.map((m) => m.requestsPerSecond)),
      median(tracked.map((m) => m.requestsPerSecond)),
    ];
    const cpu = [
      median(plain.map((m) => m.cpuMicrosPerRequest)),
      median(tracked.map((m) => m.cpuMicrosPerRequest)),
    ];
    const [rpsPlain = 0, rpsTracked = 0] = rps;
    const [cpuPlain = 0, cpuTracked = 0] = cpu;
    const rpsCost = rpsPlain === 0 ? 0 : (rpsPlain - rpsTracked) / rpsPlain;
    const cpuCost = cpuPlain === 0 ? 0 : (cpuTracked - cpuPlain) / cpuPlain;
    if (cpuCost > TARGET_COST) missed = true;
    console.log(
      `${framework.padEnd(9)}  ${rpsPlain.toFixed(0).padStart(11)}  ${rpsTracked.toFixed(0).padStart(13)}  ${pct(rpsCost)}  ${cpuPlain.toFixed(1).padStart(12)}  ${cpuTracked.toFixed(1).padStart(14)}  ${pct(cpuCost)}  ${cpuCost > TARGET_COST ? "MISS" : "PASS"} (CPU cost target <= ${TARGET_COST * 100}%)`,
    );
  }
} finally {
  await deleteNamespace(redis, namespace).catch(() => undefined);
  redis.disconnect();
}
if (missed) console.log("http: tracking cost above target on this machine (see bench/README.md for noise)");
