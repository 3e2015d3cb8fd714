/**
 * This machine's ceiling for the Redis work of a job: `redis-benchmark` runs ceiling.lua (one
 * batch of claims and finishes per call, the least a job needs) against UPNEXT_REDIS_URL, and
 * Redis's own CPU time per job (INFO cpu) gives the most jobs/s one Redis core can carry.
 * Run alone: `npx tsx bench/redis-ceiling.ts` (use a Redis of your own: the figures are the
 * whole server's CPU). Prints one line per variant: without and with the two status events.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { RedisAdmin } from "./redis-admin.js";
import { unlinkMatching } from "./redis-keys.js";

const REDIS_URL = process.env.UPNEXT_REDIS_URL ?? "redis://127.0.0.1:6379";
const BATCH = 50;
const CALLS = 2_000;
const CLIENTS = 2;
const INPUT = JSON.stringify({ t: Date.now() });
// About the size of a job's "completed" event.
const EVENT = JSON.stringify({
  type: "completed",
  jobId: "01KB5XJ1J2Q7C9Z3M8N4P6R0ST",
  function: "noop",
  attempt: 1,
  parentId: null,
  rootId: "01KB5XJ1J2Q7C9Z3M8N4P6R0ST",
  workerId: "bench-8f3a2c1d",
  at: Date.now(),
  data: { result: null, durationMs: 0.1, startedAt: Date.now() },
});

const url = new URL(REDIS_URL);
const admin = new RedisAdmin(REDIS_URL);
const redis = admin.redis;
const sha = String(
  await redis.script("LOAD", readFileSync(new URL("./ceiling.lua", import.meta.url), "utf8")),
);
const prefix = `bench-ceiling-${Date.now().toString(36)}:`;
try {
  for (const events of [false, true]) {
    const before = await admin.counters();
    const started = performance.now();
    execFileSync("redis-benchmark", [
      "-h",
      url.hostname,
      "-p",
      url.port || "6379",
      "-n",
      String(CALLS),
      "-c",
      String(CLIENTS),
      "-q",
      "EVALSHA",
      sha,
      "1",
      prefix,
      String(BATCH),
      events ? "1" : "0",
      INPUT,
      EVENT,
    ]);
    const seconds = (performance.now() - started) / 1000;
    const after = await admin.counters();
    const jobs = CALLS * BATCH;
    const usPerJob = ((after.cpuS - before.cpuS) * 1e6) / jobs;
    console.log(
      `${events ? "with 2 status events" : "no status events   "}: Redis ${usPerJob.toFixed(1)} µs/job -> ceiling ${Math.round(1e6 / usPerJob)} jobs/s on one Redis core (wall: ${Math.round(jobs / seconds)} jobs/s)`,
    );
  }
} finally {
  await unlinkMatching(redis, `${prefix}*`);
  await admin.stop();
}
