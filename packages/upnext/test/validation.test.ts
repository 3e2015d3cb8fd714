import { InvalidInputError, InvalidOptionError, WorkerStateError } from "@upnext/core";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Worker } from "../src/index.js";
import { deleteNamespace, redisClient, testNamespace } from "./helpers/redis.js";
import { testConfig, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("validation");
const redis = redisClient();
const worker = testWorker(namespace);
const email = worker.task(
  "send-email",
  { input: z.object({ to: z.email(), subject: z.string().min(1) }) },
  (input) => input.to,
);

afterAll(async () => {
  await worker.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

function optionError(define: () => unknown): InvalidOptionError {
  try {
    define();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error("expected an InvalidOptionError");
}

describe("invalid options are rejected at definition time, naming the option", () => {
  const handler = () => null;
  it.each([
    ["retries", { retries: -1 }],
    ["retries", { retries: 1.5 }],
    ["timeout", { timeout: "soon" }],
    ["timeout", { timeout: 0 }],
    ["backoff.type", { backoff: { type: "linear" } }],
    ["backoff.jitter", { backoff: { jitter: 2 } }],
    ["maxDeliveries", { maxDeliveries: 0 }],
    ["priority", { priority: 0.5 }],
    ["input", { input: { validate: () => true } }],
    ["onStart", { onStart: "not a function" }],
    ["options.retry", { retry: 3 }],
    ["progress.minDelta", { progress: { minDelta: 3 } }],
  ])("%s", (option, options) => {
    const error = optionError(() =>
      worker.task(`t-${option}-${Math.random().toString(36).slice(2)}`, options as never, handler),
    );
    expect(error.option).toBe(option);
    expect(error.message).toContain(option);
  });

  it("task names", () => {
    expect(optionError(() => worker.task("has space", {}, handler)).option).toBe("task name");
    expect(optionError(() => worker.task("{tag}", {}, handler)).option).toBe("task name");
    expect(optionError(() => worker.task("send-email", {}, handler)).message).toMatch(/already defined/);
  });

  it("worker options", () => {
    expect(optionError(() => new Worker({ concurrency: 0, config: testConfig() })).option).toBe(
      "concurrency",
    );
    expect(optionError(() => new Worker({ leaseDuration: "10ms", config: testConfig() })).option).toBe(
      "leaseDuration",
    );
    expect(optionError(() => new Worker({ namespace: "a b", config: testConfig() })).option).toBe(
      "namespace",
    );
    expect(optionError(() => new Worker({ concurency: 3 } as never)).option).toBe(
      "worker options.concurency",
    );
  });

  it("a worker without tasks cannot start", async () => {
    await expect(testWorker(namespace).start()).rejects.toBeInstanceOf(WorkerStateError);
  });
});

describe("bad input is rejected at submit time and nothing is enqueued", () => {
  it("input failing the task's schema", async () => {
    const error = await email.submit({ to: "not-an-email", subject: "" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/send-email/);
    expect((error as Error).message).toMatch(/to:/);
    expect(await redis.exists(`${namespace}:{send-email}:stream`)).toBe(0);
  });

  it("one bad input in submitMany enqueues none of them", async () => {
    await expect(
      email.submitMany([
        { to: "a@example.com", subject: "ok" },
        { to: "broken", subject: "x" },
      ]),
    ).rejects.toBeInstanceOf(InvalidInputError);
    expect(await redis.exists(`${namespace}:{send-email}:stream`)).toBe(0);
  });

  it.each([
    ["idempotencyKey", { idempotencyKey: "   " }],
    ["idempotencyKey", { idempotencyKey: "x".repeat(257) }],
    ["delay", { delay: "later" }],
    ["delay", { delay: "1s", runAt: Date.now() }],
    ["runAt", { runAt: "tomorrow" }],
    ["priority", { priority: "high" }],
    ["tags.team", { tags: { team: 7 } }],
    ["submit options.queue", { queue: "other" }],
  ])("submit option %s", async (option, options) => {
    const error = await email
      .submit({ to: "a@example.com", subject: "hi" }, options as never)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe(option);
    expect(await redis.exists(`${namespace}:{send-email}:stream`)).toBe(0);
  });

  it("an idempotency key of exactly 256 characters is accepted", async () => {
    const ref = await email.submit(
      { to: "a@example.com", subject: "hi" },
      { idempotencyKey: "k".repeat(256) },
    );
    expect((await ref.status()).idempotencyKey).toHaveLength(256);
  });

  it("a non-serialisable input", async () => {
    const loose = worker.task("loose", {}, () => null);
    await expect(loose.submit({ n: 1n })).rejects.toThrow(/not JSON-serialisable/);
  });
});
