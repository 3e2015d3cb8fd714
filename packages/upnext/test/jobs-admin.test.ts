/**
 * `Jobs`: a job known only by its id, from another process's connection (as the history server
 * holds one): read, cancel (queued and running), retry (failed, dead-lettered, cancelled) on a
 * real worker.
 */
import { InvalidOptionError, JobNotFoundError, TaskFailedError } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlreadyReplayedError, Jobs, NotRetryableError } from "../src/index.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { deferred, testConfig, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("jobs-admin");
const redis = redisClient();
const worker = testWorker(namespace, { concurrency: 4 });
const jobs = new Jobs({ namespace, config: testConfig() });

let started = deferred();
let signalSeen = false;
let failing = true;
const runs = new Map<string, number>();

const waits = worker.task("waits", {}, async (_input: { n: number }, ctx) => {
  runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
  started.resolve();
  await new Promise<void>((resolve) => {
    ctx.signal.addEventListener("abort", () => {
      signalSeen = true;
      resolve();
    });
  });
  return "late result";
});

const flaky = worker.task("flaky", {}, (input: { n: number }, ctx) => {
  runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
  if (failing) throw new Error(`flaky ${input.n}`);
  return input.n * 2;
});

beforeAll(async () => {
  await worker.start();
});

afterAll(async () => {
  await worker.stop();
  await jobs.close();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("reading and cancelling by id", () => {
  it("reads a job, and says undefined for an unknown one; a malformed id is an error", async () => {
    const ref = await flaky.submit({ n: 1 });
    await expect(ref.result()).rejects.toBeInstanceOf(TaskFailedError);
    expect((await jobs.get(ref.id))?.status).toBe("failed");
    expect(await jobs.get("01NOSUCHJOB0000000000000000")).toBeUndefined();
    await expect(jobs.get("bad id!")).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it("cancels a running job: its signal aborts and it ends cancelled, not complete", async () => {
    started = deferred();
    const ref = await waits.submit({ n: 1 });
    await started.promise;
    const outcome = await jobs.cancel(ref.id, "operator");
    expect(outcome.cancelled).toBe(true);
    expect(outcome.job.status).toBe("cancelled");
    expect(outcome.job.cancelReason).toBe("operator");
    await eventually(() => signalSeen, "the handler's abort signal");
    await eventually(() => worker.metrics().jobs.cancelled >= 1, "the worker freed the slot");
    expect((await jobs.get(ref.id))?.status).toBe("cancelled");
  });

  it("cancelling a finished job reports it unchanged; an unknown id throws", async () => {
    failing = false;
    const ref = await flaky.submit({ n: 2 });
    expect(await ref.result()).toBe(4);
    const outcome = await jobs.cancel(ref.id);
    expect(outcome).toMatchObject({ cancelled: false, job: { status: "complete" } });
    await expect(jobs.cancel("01NOSUCHJOB0000000000000000")).rejects.toBeInstanceOf(JobNotFoundError);
    failing = true;
  });
});

describe("retry", () => {
  it("retries a dead-lettered job as its replay: a new linked job that runs", async () => {
    const ref = await flaky.submit({ n: 3 });
    await expect(ref.result()).rejects.toBeInstanceOf(TaskFailedError);
    failing = false;
    const { job, deadLettered } = await jobs.retry(ref.id);
    expect(deadLettered).toBe(true);
    expect(job.id).not.toBe(ref.id);
    expect(await job.result({ timeout: "5s" })).toBe(6);
    expect((await job.status()).origin).toEqual({ kind: "replay", replayOf: ref.id });
    await expect(jobs.retry(ref.id)).rejects.toBeInstanceOf(AlreadyReplayedError);
    const again = await jobs.retry(ref.id, { force: true });
    expect(await again.job.result({ timeout: "5s" })).toBe(6);
    failing = true;
  });

  it("retries a cancelled job, which was never dead-lettered", async () => {
    const ref = await flaky.submit({ n: 4 }, { delay: "1h" });
    expect((await jobs.cancel(ref.id)).cancelled).toBe(true);
    failing = false;
    const { job, deadLettered } = await jobs.retry(ref.id);
    expect(deadLettered).toBe(false);
    expect(await job.result({ timeout: "5s" })).toBe(8);
    expect(runs.get(ref.id)).toBeUndefined();
    failing = true;
  });

  it("refuses a job that is still going or complete, naming its status", async () => {
    started = deferred();
    const running = await waits.submit({ n: 2 });
    await started.promise;
    const error = await jobs.retry(running.id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotRetryableError);
    expect((error as NotRetryableError).status).toBe("active");
    await jobs.cancel(running.id);
    failing = false;
    const done = await flaky.submit({ n: 5 });
    await done.result();
    await expect(jobs.retry(done.id)).rejects.toThrow(/its status is 'complete'/);
    await expect(jobs.retry("01NOSUCHJOB0000000000000000")).rejects.toBeInstanceOf(JobNotFoundError);
    failing = true;
  });
});
