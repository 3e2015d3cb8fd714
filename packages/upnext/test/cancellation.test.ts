import { TaskCancelledError } from "@upnext/core";
import { afterAll, describe, expect, it } from "vitest";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { deferred, jobEvents, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("cancel");
const redis = redisClient();
const worker = testWorker(namespace, { concurrency: 2 });
// A producer with its own connection, as another process would be.
const producer = testWorker(namespace);

const started = new Map<string, ReturnType<typeof deferred<void>>>();
const ran = new Set<string>();
let signalSeen = false;

worker.task("cooperative", { retries: 3 }, async (_input: null, ctx) => {
  ran.add(ctx.jobId);
  started.get("cooperative")?.resolve();
  await new Promise<void>((resolve) => {
    ctx.signal.addEventListener("abort", () => {
      signalSeen = true;
      resolve();
    });
  });
  // Returning normally after the abort must not turn the cancellation into a completion.
  return "finished anyway";
});

const stubborn = worker.task("stubborn", { retries: 3 }, async (_input: null, ctx) => {
  ran.add(ctx.jobId);
  started.get("stubborn")?.resolve();
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  return "ignored the signal";
});

const quick = worker.task("quick", {}, (_input: null, ctx) => {
  ran.add(ctx.jobId);
  return "ran";
});

const producerQuick = producer.task("quick", {}, () => "never runs here");
const producerCooperative = producer.task("cooperative", {}, () => "never runs here");

afterAll(async () => {
  await worker.stop();
  await producer.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("cancellation", () => {
  it("a job cancelled before it starts never runs", async () => {
    // Not started yet: the job waits in the queue.
    const ref = await producerQuick.submit(null);
    expect(await ref.cancel("not needed")).toBe(true);
    const delayed = await producerQuick.submit(null, { delay: "200ms" });
    expect(await delayed.cancel()).toBe(true);
    await worker.start();
    const witness = await quick.submit(null);
    expect(await witness.result({ timeout: "5s" })).toBe("ran");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ran.has(ref.id)).toBe(false);
    expect(ran.has(delayed.id)).toBe(false);
    const error = await ref.result({ timeout: "1s" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskCancelledError);
    expect((error as TaskCancelledError).reason).toBe("not needed");
    expect((await delayed.status()).status).toBe("cancelled");
    expect(await ref.cancel()).toBe(false);
  });

  it("cancelling a running job aborts its signal; it stays cancelled and is never retried", async () => {
    started.set("cooperative", deferred());
    const ref = await producerCooperative.submit(null);
    await started.get("cooperative")?.promise;
    expect(await ref.cancel("user asked")).toBe(true);
    await eventually(() => signalSeen, "the handler's abort signal");
    await expect(ref.result({ timeout: "2s" })).rejects.toBeInstanceOf(TaskCancelledError);
    await eventually(() => worker.metrics().jobs.cancelled >= 1, "worker counted the cancellation");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const snapshot = await ref.status();
    expect(snapshot.status).toBe("cancelled");
    expect(snapshot.attempt).toBe(1);
    expect(snapshot.cancelReason).toBe("user asked");
    const types = (await jobEvents(redis, namespace, ref.id)).map((event) => event.type);
    expect(types).toContain("cancelled");
    expect(types).not.toContain("completed");
    expect(types).not.toContain("retrying");
  });

  it("frees the slot of a cancelled job whose handler ignores the signal, and discards its late result", async () => {
    started.set("stubborn", deferred());
    const ref = await stubborn.submit(null);
    await started.get("stubborn")?.promise;
    expect(await ref.cancel()).toBe(true);
    // The slot is free at once: another job runs while the stubborn handler is still sleeping.
    const other = await quick.submit(null);
    expect(await other.result({ timeout: "1s" })).toBe("ran");
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    expect((await ref.status()).status).toBe("cancelled");
  });
});
