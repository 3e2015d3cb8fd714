import { TaskCancelledError, TaskTimeoutError } from "@upnext/core";
import { afterAll, describe, expect, it } from "vitest";
import { checksum } from "./fixtures/threads/handlers.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { jobEvents, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("threads");
const redis = redisClient();
const worker = testWorker(namespace, { concurrency: 2, threads: 2 });
const handlers = new URL("./fixtures/threads/handlers.ts", import.meta.url);

const cpu = worker.task<{ iterations: number }, number>("cpu", { isolate: "thread", module: handlers });
const spinForever = worker.task<null, never>("spin", {
  isolate: "thread",
  module: handlers,
  export: "spin",
  timeout: "300ms",
});
const spinCancellable = worker.task<null, never>("spin-cancellable", {
  isolate: "thread",
  module: handlers,
  export: "spin",
});
const report = worker.task<null, string>("report", { isolate: "thread", module: handlers, export: "report" });

afterAll(async () => {
  await worker.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("thread tasks (isolate: 'thread')", () => {
  it("runs a CPU-bound handler in a thread and stores its result", async () => {
    await worker.start();
    const ref = await cpu.submit({ iterations: 200_000 });
    expect(await ref.result({ timeout: "10s" })).toBe(checksum(200_000));
  });

  it("forwards progress, logs and metrics from the thread to the job's events", async () => {
    const ref = await report.submit(null);
    expect(await ref.result({ timeout: "10s" })).toBe(`report/${ref.id}/1/false`);
    const types = await eventually(async () => {
      const all = (await jobEvents(redis, namespace, ref.id)).map((event) => event.type);
      return all.includes("completed") ? all : undefined;
    }, "events");
    expect(types).toEqual(expect.arrayContaining(["progress", "log", "metric"]));
  });

  it("a timeout terminates a thread that never yields", async () => {
    const ref = await spinForever.submit(null);
    await expect(ref.result({ timeout: "10s" })).rejects.toBeInstanceOf(TaskTimeoutError);
    // The pool replaced the terminated thread: other thread tasks still run.
    const after = await cpu.submit({ iterations: 10 });
    expect(await after.result({ timeout: "10s" })).toBe(checksum(10));
  });

  it("a cancel terminates a thread that never yields", async () => {
    const ref = await spinCancellable.submit(null);
    await eventually(async () => (await ref.status()).status === "active", "job running");
    expect(await ref.cancel()).toBe(true);
    await expect(ref.result({ timeout: "5s" })).rejects.toBeInstanceOf(TaskCancelledError);
    const after = await cpu.submit({ iterations: 10 });
    expect(await after.result({ timeout: "10s" })).toBe(checksum(10));
  });
});
