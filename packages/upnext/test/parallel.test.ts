import { InvalidOptionError, TaskFailedError, WaitTimeoutError } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstCompleted, gather, mapTasks, submitMany } from "../src/index.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { testWorker } from "./helpers/worker.js";

const namespace = testNamespace("parallel");
const redis = redisClient();
const worker = testWorker(namespace, { concurrency: 8 });

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

let running = 0;
let maxRunning = 0;
const seen = new Set<number>();
const double = worker.task("double", {}, async (n: number) => {
  seen.add(n);
  running++;
  maxRunning = Math.max(maxRunning, running);
  try {
    await sleep(25);
    if (n < 0) throw new Error(`negative: ${n}`);
    return n * 2;
  } finally {
    running--;
  }
});

const echo = worker.task("echo", {}, (text: string) => text);

const napping = new Set<string>();
const aborted = new Set<string>();
/** Sleeps `ms` unless cancelled; records the cancellation it saw. */
const nap = worker.task("nap", {}, async (ms: number, ctx) => {
  napping.add(ctx.jobId);
  await sleep(ms, ctx.signal);
  if (ctx.signal.aborted) aborted.add(ctx.jobId);
  return ms;
});

const fail = worker.task("fail", {}, (message: string) => {
  throw new Error(message);
});

beforeAll(async () => {
  await worker.start();
});

afterAll(async () => {
  await worker.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("gather", () => {
  it("returns every result in the order given, typed per job", async () => {
    const refs = await submitMany(double, [3, 1, 2]);
    expect(await gather(refs, { timeout: "10s" })).toEqual([6, 2, 4]);

    const mixed = [await double.submit(5), await echo.submit("hi")] as const;
    const [number, text]: [number, string] = await gather(mixed);
    expect([number, text]).toEqual([10, "hi"]);
    expect(await gather([])).toEqual([]);
  });

  it("rejects with the first failure and leaves the other jobs running", async () => {
    const slow = await nap.submit(300);
    const failing = await fail.submit("broken");
    const error = await gather([slow, failing]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).jobId).toBe(failing.id);
    expect(await slow.result({ timeout: "10s" })).toBe(300);
    expect((await slow.status()).status).toBe("complete");
  });

  it("gives up waiting after its timeout without touching the jobs", async () => {
    const slow = await nap.submit(400);
    await expect(gather([slow], { timeout: "20ms" })).rejects.toBeInstanceOf(WaitTimeoutError);
    expect(await slow.result({ timeout: "10s" })).toBe(400);
  });
});

describe("mapTasks", () => {
  it("never has more than `concurrency` jobs running and returns results in input order", async () => {
    running = 0;
    maxRunning = 0;
    const inputs = Array.from({ length: 12 }, (_, index) => index);
    const results = await mapTasks(double, inputs, { concurrency: 3, timeout: "10s" });
    expect(results).toEqual(inputs.map((n) => n * 2));
    expect(maxRunning).toBeGreaterThanOrEqual(1);
    expect(maxRunning).toBeLessThanOrEqual(3);
  });

  it("stops submitting at the first failure and rejects with it", async () => {
    seen.clear();
    const error = await mapTasks(double, [100, -1, 101, 102], { concurrency: 1 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as Error).message).toContain("negative: -1");
    expect([...seen].sort((a, b) => a - b)).toEqual([-1, 100]);
  });

  it("validates its options and every input before submitting anything", async () => {
    await expect(mapTasks(double, [1], { concurrency: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(mapTasks(double, [1], { idempotencyKey: "same" })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    expect(await mapTasks(double, [])).toEqual([]);
  });
});

describe("firstCompleted", () => {
  it("resolves with the first success and really cancels the other jobs", async () => {
    const refs = [await nap.submit(5_000), await nap.submit(10), await nap.submit(5_000)];
    const winner = await firstCompleted(refs, { cancelRest: true });
    expect(winner).toMatchObject({ value: 10, index: 1 });
    expect(winner.ref.id).toBe(refs[1]?.id);
    for (const loser of [refs[0], refs[2]]) {
      const snapshot = await loser?.status();
      expect(snapshot?.status).toBe("cancelled");
      expect(snapshot?.cancelReason).toContain(winner.ref.id);
    }
    // A loser whose handler had started saw its abort signal (one still queued never runs).
    const started = [refs[0], refs[2]].filter((ref) => ref !== undefined && napping.has(ref.id));
    await eventually(
      () => started.every((ref) => ref !== undefined && aborted.has(ref.id)),
      "the losing handlers to see the cancellation",
    );
  });

  it("skips failures; rejects with every error when all jobs fail", async () => {
    const winner = await firstCompleted([await fail.submit("early"), await nap.submit(50)]);
    expect(winner.index).toBe(1);

    const error = await firstCompleted([await fail.submit("a"), await fail.submit("b")]).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AggregateError);
    const errors = (error as AggregateError).errors as unknown[];
    expect(errors).toHaveLength(2);
    expect(errors.every((each) => each instanceof TaskFailedError)).toBe(true);
  });

  it("leaves the other jobs alone with cancelRest: false", async () => {
    const other = await nap.submit(200);
    const winner = await firstCompleted([await nap.submit(10), other], { cancelRest: false });
    expect(winner.index).toBe(0);
    expect(await other.result({ timeout: "10s" })).toBe(200);
  });
});
