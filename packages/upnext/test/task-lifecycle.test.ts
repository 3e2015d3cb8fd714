import { TaskFailedError, TaskTimeoutError, WaitTimeoutError } from "@upnext/core";
import { afterAll, describe, expect, it } from "vitest";
import type { Context } from "../src/index.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { jobEvents, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("lifecycle");
const redis = redisClient();
const worker = testWorker(namespace, { concurrency: 4 });

const runs = new Map<string, number>();
function countRun(ctx: Context): number {
  const n = (runs.get(ctx.jobId) ?? 0) + 1;
  runs.set(ctx.jobId, n);
  return n;
}

const hookCalls: string[] = [];
const add = worker.task(
  "add",
  {
    onStart: (ctx) => {
      hookCalls.push(`start:${ctx.attempt}`);
    },
    onSuccess: (_ctx, result) => {
      hookCalls.push(`success:${String(result)}`);
    },
    onComplete: (_ctx, outcome) => {
      hookCalls.push(`complete:${outcome.status}`);
    },
  },
  (input: { a: number; b: number }, ctx) => {
    countRun(ctx);
    return input.a + input.b;
  },
);

const flaky = worker.task(
  "flaky",
  {
    retries: 3,
    backoff: { type: "exponential", delay: "20ms" },
    onRetry: (ctx, _error, next) => {
      hookCalls.push(`retry:${ctx.attempt}:${next instanceof Date ? "date" : "?"}`);
    },
  },
  (input: { failTimes: number }, ctx) => {
    if (ctx.attempt <= input.failTimes) throw new Error(`boom on attempt ${ctx.attempt}`);
    return { attempts: ctx.attempt };
  },
);

const failures: string[] = [];
const alwaysFails = worker.task(
  "always-fails",
  {
    retries: 2,
    backoff: { type: "fixed", delay: "10ms" },
    onFailure: (_ctx, error) => {
      failures.push((error as Error).message);
    },
    onComplete: () => {
      throw new Error("a hook that throws must not change the outcome");
    },
  },
  (_input: null, ctx) => {
    throw new Error(`failure ${ctx.attempt}`);
  },
);

const slow = worker.task(
  "slow",
  { timeout: "100ms", retries: 1, backoff: { type: "fixed", delay: "10ms" } },
  async (_input: null, ctx) => {
    countRun(ctx);
    // Ignores its abort signal on purpose: the timeout must still be enforced.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return "too late";
  },
);

const unserialisable = worker.task("unserialisable", { retries: 3 }, (input: { bad: boolean }) =>
  input.bad ? { big: 10n } : { fine: true },
);

const delayed = worker.task("delayed", {}, () => Date.now());

const child = worker.task("child", {}, (_input: null, ctx) => ({
  parentId: ctx.parentId,
  rootId: ctx.rootId,
}));
const parent = worker.task("parent", {}, async (_input: null, ctx) => {
  const ref = await child.submit(null);
  const fromChild = await ref.result({ timeout: "5s" });
  return { self: ctx.jobId, root: ctx.rootId, child: fromChild };
});

const idempotent = worker.task("idempotent", {}, (input: { n: number }, ctx) => {
  countRun(ctx);
  return input.n;
});

afterAll(async () => {
  await worker.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("task lifecycle", () => {
  it("runs a job once, stores its result, and publishes its lifecycle", async () => {
    await worker.start();
    const ref = await add.submit({ a: 2, b: 3 });
    expect(await ref.result({ timeout: "5s" })).toBe(5);
    expect(runs.get(ref.id)).toBe(1);
    const snapshot = await ref.status();
    expect(snapshot.status).toBe("complete");
    expect(snapshot.result).toBe(5);
    expect(snapshot.attempt).toBe(1);
    expect(snapshot.input).toEqual({ a: 2, b: 3 });
    const types = await eventually(async () => {
      const events = (await jobEvents(redis, namespace, ref.id)).map((event) => event.type);
      return events.includes("completed") ? events : undefined;
    }, "completed event");
    expect(types).toEqual(["queued", "started", "completed"]);
    await eventually(() => hookCalls.includes("complete:complete"), "onComplete hook");
    expect(hookCalls.slice(0, 3)).toEqual(["start:1", "success:5", "complete:complete"]);
  });

  it("retries with backoff, then succeeds", async () => {
    const ref = await flaky.submit({ failTimes: 2 });
    expect(await ref.result({ timeout: "5s" })).toEqual({ attempts: 3 });
    const snapshot = await ref.status();
    expect(snapshot.attempt).toBe(3);
    expect(snapshot.error).toBeUndefined();
    expect(snapshot.failureReason).toBeNull();
    expect(hookCalls.filter((call) => call.startsWith("retry:"))).toEqual(["retry:1:date", "retry:2:date"]);
    const events = await eventually(async () => {
      const all = await jobEvents(redis, namespace, ref.id);
      return all.some((event) => event.type === "completed") ? all : undefined;
    }, "events");
    const retrying = events.filter((event) => event.type === "retrying");
    expect(retrying).toHaveLength(2);
    // Exponential: the second delay is twice the first (no jitter configured).
    const delays = retrying.map((event) => event.data.delayMs);
    expect(delays).toEqual([20, 40]);
  });

  it("fails with the last error when retries are exhausted; a throwing hook changes nothing", async () => {
    const ref = await alwaysFails.submit(null);
    const error = await ref.result({ timeout: "5s" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error).not.toBeInstanceOf(TaskTimeoutError);
    expect((error as TaskFailedError).error.message).toBe("failure 3");
    expect((error as TaskFailedError).attempts).toBe(3);
    const snapshot = await ref.status();
    expect(snapshot.status).toBe("failed");
    expect(snapshot.failureReason).toBe("exception");
    expect(failures).toEqual(["failure 3"]);
    expect(await redis.zscore(`${namespace}:{always-fails}:dead`, ref.id)).not.toBeNull();
  });

  it("times out even when the handler ignores its signal, retries per policy, then raises TaskTimeoutError", async () => {
    const ref = await slow.submit(null);
    const error = await ref.result({ timeout: "5s" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(runs.get(ref.id)).toBe(2);
    const snapshot = await ref.status();
    expect(snapshot.failureReason).toBe("timeout");
    expect(snapshot.attempt).toBe(2);
  });

  it("fails a job whose result is not serialisable, and only that job", async () => {
    const [bad, good] = await unserialisable.submitMany([{ bad: true }, { bad: false }]);
    if (!bad || !good) throw new Error("submitMany returned too few refs");
    const error = await bad.result({ timeout: "5s" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).error.message).toMatch(/not JSON-serialisable/);
    // Deterministic failure: not retried although the task allows retries.
    expect((await bad.status()).attempt).toBe(1);
    expect(await good.result({ timeout: "5s" })).toEqual({ fine: true });
  });

  it("runs a delayed job no earlier than it is due", async () => {
    const submittedAt = Date.now();
    const ref = await delayed.submit(null, { delay: "300ms" });
    expect((await ref.status()).status).toBe("scheduled");
    const ranAt = await ref.result({ timeout: "5s" });
    expect(ranAt).toBeGreaterThanOrEqual(submittedAt + 300);
    const runAtRef = await delayed.submit(null, { runAt: new Date(Date.now() + 200) });
    expect((await runAtRef.status()).scheduledAt).not.toBeNull();
    await runAtRef.result({ timeout: "5s" });
  });

  it("returns the existing job for a duplicate idempotency key, and runs it once", async () => {
    const first = await idempotent.submit({ n: 1 }, { idempotencyKey: "  order-42 " });
    const second = await idempotent.submit({ n: 2 }, { idempotencyKey: "order-42" });
    expect(second.id).toBe(first.id);
    expect(await second.result({ timeout: "5s" })).toBe(1);
    expect(runs.get(first.id)).toBe(1);
    const snapshot = await first.status();
    expect(snapshot.idempotencyKey).toBe("order-42");
  });

  it("records lineage for jobs submitted from inside a job", async () => {
    const ref = await parent.submit(null);
    const result = await ref.result({ timeout: "5s" });
    expect(result.root).toBe(ref.id);
    expect(result.child).toEqual({ parentId: ref.id, rootId: ref.id });
  });

  it("tells a caller's wait timeout apart from the job's", async () => {
    const ref = await delayed.submit(null, { delay: "10s" });
    const error = await ref.result({ timeout: "50ms" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).lastStatus).toBe("scheduled");
    expect(await ref.cancel()).toBe(true);
  });

  it("counts outcomes in worker.metrics()", () => {
    const metrics = worker.metrics();
    expect(metrics.jobs.completed).toBeGreaterThan(0);
    expect(metrics.jobs.failed).toBeGreaterThanOrEqual(2);
    expect(metrics.jobs.retried).toBeGreaterThanOrEqual(4);
    expect(metrics.jobs.timedOut).toBeGreaterThanOrEqual(2);
    expect(metrics.statusBuffer.capacity).toBeGreaterThan(0);
  });
});
