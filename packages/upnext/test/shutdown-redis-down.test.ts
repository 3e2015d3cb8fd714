/**
 * Every long-lived process exits on SIGTERM within its shutdown timeout (plus the stop allowance)
 * while Redis is down and its clients are reconnecting: a worker with a job in flight,
 * `upnext run` and the example service (`npm start`). Each runs against a private redis-server
 * that the test kills.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { BIN, ROOT } from "./helpers/cli.js";
import { PrivateRedis } from "./helpers/private-redis.js";
import { eventually, testNamespace } from "./helpers/redis.js";
import { testConfig, testWorker } from "./helpers/worker.js";

const SHUTDOWN_TIMEOUT_MS = 1_000;
/**
 * How long a test waits for the exit: the documented bound plus generous slack for a busy
 * machine. It only tells "exits" from "hangs" (a stuck process used to run on for minutes).
 */
const EXIT_WAIT_MS = 30_000;
const scratch = mkdtempSync(join(tmpdir(), "upnext-redis-down-"));
const servers: PrivateRedis[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

interface Child {
  readonly kill: (signal: NodeJS.Signals) => void;
  readonly exited: Promise<number | null>;
  readonly output: () => string;
}

function spawnNode(args: readonly string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      UPNEXT_LOG_LEVEL: "warn",
      UPNEXT_SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_MS}ms`,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      resolve(code);
    });
  });
  return { kill: (signal) => child.kill(signal), exited, output: () => output };
}

async function privateRedis(): Promise<PrivateRedis> {
  const redis = await PrivateRedis.start();
  servers.push(redis);
  return redis;
}

/** Kills Redis, waits until the process is reconnecting, sends SIGTERM and waits for the exit. */
async function terminateWithRedisDown(redis: PrivateRedis, child: Child): Promise<number | null> {
  const before = child.output().length;
  await redis.stop();
  // The clients are past a failed reconnect: the state in which QUIT and queued commands hung.
  await eventually(
    () => child.output().slice(before).includes("ECONNREFUSED"),
    `the process to notice Redis is gone; output:\n${child.output()}`,
    20_000,
  );
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    child.exited,
    new Promise<"still running">((resolve) => {
      timer = setTimeout(() => {
        resolve("still running");
      }, EXIT_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === "still running") {
    child.kill("SIGKILL");
    await child.exited;
  }
  expect(outcome, `still running after SIGTERM; output:\n${child.output()}`).not.toBe("still running");
  return outcome === "still running" ? null : outcome;
}

describe("SIGTERM while Redis is down", () => {
  it("a worker holding a running job exits", async () => {
    const redis = await privateRedis();
    const namespace = testNamespace("redis-down-worker");
    const child = spawnNode(["--import", "tsx", "packages/upnext/test/fixtures/workers/sleepy-worker.ts"], {
      UPNEXT_REDIS_URL: redis.url,
      UPNEXT_NAMESPACE: namespace,
      UPNEXT_LEASE_DURATION: "2s",
    });
    const client = new Redis(redis.url);
    client.on("error", () => undefined);
    const config = testConfig({ UPNEXT_REDIS_URL: redis.url, UPNEXT_LEASE_DURATION: "2s" });
    const producer = testWorker(namespace, {}, config);
    const sleepy = producer.task("sleepy", {}, () => "second");
    try {
      await eventually(
        async () => (await client.llen(`${namespace}:test:ready`)) > 0,
        "worker started",
        60_000,
      );
      // Outlives the shutdown timeout: the stop has to hand it back, with Redis gone.
      await sleepy.submit({ ms: 60_000 });
      await eventually(async () => (await client.llen(`${namespace}:test:runs`)) > 0, "job running", 30_000);

      await terminateWithRedisDown(redis, child);
      expect(child.output()).toContain("did not stop in time");
    } finally {
      client.disconnect();
      await producer.stop();
    }
  }, 120_000);

  it("`upnext run` exits", async () => {
    const redis = await privateRedis();
    const child = spawnNode([BIN, "run", "packages/upnext/test/fixtures/cli/workers.ts"], {
      UPNEXT_REDIS_URL: redis.url,
      UPNEXT_NAMESPACE: testNamespace("redis-down-run"),
    });
    await eventually(
      () => (child.output().match(/started \(/g) ?? []).length === 2,
      `both workers started; output:\n${child.output()}`,
      60_000,
    );
    await terminateWithRedisDown(redis, child);
  }, 120_000);

  it("the example service (`npm start`) exits", async () => {
    const redis = await privateRedis();
    const child = spawnNode(["--import", "tsx", "examples/service.ts"], {
      UPNEXT_REDIS_URL: redis.url,
      UPNEXT_NAMESPACE: testNamespace("redis-down-example"),
      UPNEXT_DATABASE_URL: `sqlite:${join(scratch, "example.db")}`,
      UPNEXT_SERVER_PORT: "0",
      UPNEXT_SERVER_URL: "http://127.0.0.1:9",
    });
    await eventually(
      () => child.output().includes("Ctrl-C to stop"),
      `the example started; output:\n${child.output()}`,
      60_000,
    );
    await terminateWithRedisDown(redis, child);
  }, 120_000);
});
