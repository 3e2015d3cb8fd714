/**
 * The JSON contract of job payloads: values JSON would silently change are refused with a
 * SerializationError naming the path; inputs, metadata, results and checkpoints over
 * UPNEXT_MAX_PAYLOAD_SIZE are refused with a PayloadTooLargeError naming size and limit, and a
 * refused submit enqueues nothing. A Date travels as its ISO string.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { PayloadTooLargeError, SerializationError, TaskFailedError, UpNextError } from "../src/index.js";
import { deleteNamespace, redisClient, testNamespace } from "./helpers/redis.js";
import { testConfig, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("payload");
const redis = redisClient();
const LIMIT = 10_000;
const worker = testWorker(namespace, {}, testConfig({ UPNEXT_MAX_PAYLOAD_SIZE: "10KB" }));

const echo = worker.task("echo", {}, (input: unknown) => input);
const returns = worker.task("returns", { retries: 2 }, (input: { kind: string }) => {
  if (input.kind === "large") return "x".repeat(LIMIT + 1);
  return { byTenant: new Map([["a", 1]]) };
});
const saves = worker.task("saves", {}, async (_input: null, ctx) => {
  const error = await ctx.checkpoint({ rows: "x".repeat(LIMIT) }).catch((caught: unknown) => caught);
  return (error as UpNextError).code;
});
const dated = worker.task("dated", { input: z.object({ at: z.coerce.date() }) }, (input: { at: Date }) => ({
  isDate: input.at instanceof Date,
  year: input.at.getUTCFullYear(),
}));
const raw = worker.task("raw", {}, (input: { at: unknown }) => typeof input.at);

beforeAll(async () => {
  await worker.start();
});
afterAll(async () => {
  await worker.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

/** The error a submit is refused with, checked to be of `kind`. */
async function refusal<E extends UpNextError>(
  kind: abstract new (...args: never[]) => E,
  submit: () => Promise<unknown>,
): Promise<E> {
  const error = await submit().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof kind)) throw new Error(`expected a ${kind.name}, got ${String(error)}`);
  return error;
}

async function jobKeys(): Promise<string[]> {
  return redis.keys(`${namespace}:{echo}:job:*`);
}

describe("payload size", () => {
  it("refuses an input over the limit, naming its size and the limit, and enqueues nothing", async () => {
    const error = await refusal(PayloadTooLargeError, () => echo.submit({ blob: "x".repeat(LIMIT) }));
    expect(error.code).toBe("payload_too_large");
    expect(error.message).toContain("The input of task 'echo' is 10011 bytes as JSON");
    expect(error.message).toContain(`limit of ${LIMIT} bytes (UPNEXT_MAX_PAYLOAD_SIZE)`);
    expect(await jobKeys()).toEqual([]);
    expect(await redis.xlen(`${namespace}:{echo}:stream`)).toBe(0);
  });

  it("counts bytes, not characters", async () => {
    // 4,000 characters of 3 bytes each: under the limit in characters, over it in bytes.
    const error = await refusal(PayloadTooLargeError, () => echo.submit("€".repeat(4_000)));
    expect(error.bytes).toBe(12_002);
  });

  it("refuses metadata over the limit", async () => {
    const error = await refusal(PayloadTooLargeError, () =>
      echo.submit(null, { metadata: { note: "x".repeat(LIMIT) } }),
    );
    expect(error.message).toContain("The metadata of a job of task 'echo'");
    expect(await jobKeys()).toEqual([]);
  });

  it("refuses the default 1MB limit's 10MB input", async () => {
    const defaults = testWorker(namespace);
    const task = defaults.task("echo", {}, (input: unknown) => input);
    const error = await refusal(PayloadTooLargeError, () => task.submit("x".repeat(10_000_000)));
    expect(error.maxBytes).toBe(1_000_000);
    await defaults.stop();
  });

  it("fails a job whose result is over the limit, without retrying it", async () => {
    const ref = await returns.submit({ kind: "large" });
    const error = await ref.result({ timeout: "5s" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).error.code).toBe("payload_too_large");
    expect((await ref.status()).attempt).toBe(1);
  });

  it("rejects a checkpoint over the limit in the handler", async () => {
    const ref = await saves.submit(null);
    expect(await ref.result({ timeout: "5s" })).toBe("payload_too_large");
  });
});

describe("values JSON would change", () => {
  const cases: [string, unknown, string][] = [
    ["a function", { retry: () => 1 }, "input.retry"],
    ["a symbol", { kind: Symbol("a") }, "input.kind"],
    ["NaN", { scores: [1, Number.NaN] }, "input.scores[1]"],
    ["Infinity", { limit: Number.POSITIVE_INFINITY }, "input.limit"],
    ["a Map", { byTenant: new Map([["a", 1]]) }, "input.byTenant"],
    ["a Set", { tags: new Set(["a"]) }, "input.tags"],
    ["undefined in an array", { rows: [1, undefined, 3] }, "input.rows[1]"],
    ["a BigInt", { id: 12n }, "input.id"],
    ["a key that is not an identifier", { "user id": Number.NaN }, 'input["user id"]'],
    ["an invalid Date", { at: new Date(Number.NaN) }, "input.at"],
  ];
  it.each(cases)("refuses %s, naming the path", async (_name, input, path) => {
    const error = await refusal(SerializationError, () => echo.submit(input));
    expect(error.path).toBe(path);
    expect(error.message).toContain(`${path} is `);
    expect(await jobKeys()).toEqual([]);
  });

  it("refuses a circular reference", async () => {
    const node: Record<string, unknown> = { name: "a" };
    node.self = { parent: node };
    const error = await refusal(SerializationError, () => echo.submit(node));
    expect(error.path).toBe("input.self.parent");
  });

  it("fails a job whose result holds a Map, naming the path", async () => {
    const ref = await returns.submit({ kind: "map" });
    const error = await ref.result({ timeout: "5s" }).catch((caught: unknown) => caught);
    expect((error as TaskFailedError).error.message).toContain("result.byTenant is a Map");
  });

  it("leaves out undefined properties, as JSON does for optional fields", async () => {
    const ref = await echo.submit({ a: 1, b: undefined });
    expect(await ref.result({ timeout: "5s" })).toEqual({ a: 1 });
  });

  it("sends a Date as its ISO string, which z.coerce.date() turns back", async () => {
    const at = new Date("2026-03-01T12:00:00.000Z");
    expect(await (await raw.submit({ at })).result({ timeout: "5s" })).toBe("string");
    expect(await (await echo.submit({ at })).result({ timeout: "5s" })).toEqual({ at: at.toISOString() });
    expect(await (await dated.submit({ at })).result({ timeout: "5s" })).toEqual({
      isDate: true,
      year: 2026,
    });
  });
});
