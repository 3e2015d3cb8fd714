/**
 * Dead letters filtered by failure reason, and paged both ways (prevCursor), on the real Redis:
 * jobs really fail on a worker, some by throwing ("exception"), some by running past their
 * timeout ("timeout").
 */
import { InvalidOptionError } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeadLetters, type DeadLetterEntry, type DeadLetterPage } from "../src/index.js";
import { deleteNamespace, redisClient, testNamespace } from "./helpers/redis.js";
import { failAll, testConfig, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("dlq-filters");
const redis = redisClient();
const worker = testWorker(namespace, { concurrency: 20 });
const admin = new DeadLetters({ namespace, config: testConfig() });

const throws = worker.task("throws", {}, (input: { n: number }) => {
  throw new Error(`boom ${input.n}`);
});
const slow = worker.task("slow", { timeout: "50ms" }, async (input: { n: number }) => {
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  return input.n;
});

const ids = (entries: readonly DeadLetterEntry[]): string[] => entries.map((entry) => entry.jobId);

let thrown: string[] = [];
let timedOut: string[] = [];

beforeAll(async () => {
  await worker.start();
  thrown = await failAll(await throws.submitMany([1, 2, 3, 4, 5, 6, 7].map((n) => ({ n }))));
  timedOut = await failAll(await slow.submitMany([1, 2, 3].map((n) => ({ n }))));
});

afterAll(async () => {
  await worker.stop();
  await admin.close();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("the reason filter", () => {
  it("lists and counts only the entries that died for the reason", async () => {
    const timeouts = await admin.list({ reason: "timeout", limit: 100 });
    expect(ids(timeouts.entries).sort()).toEqual([...timedOut].sort());
    expect(timeouts.entries.every((entry) => entry.reason === "timeout")).toBe(true);
    expect(await admin.count({ reason: "timeout" })).toBe(timedOut.length);
    expect(await admin.count({ reason: "exception" })).toBe(thrown.length);
    expect(await admin.count({ reason: "lost" })).toBe(0);
    expect(await admin.count({ reason: "exception", function: "slow" })).toBe(0);
  });

  it("fills each page even when the reason is rare among the entries read", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: DeadLetterPage = await admin.list({
        reason: "timeout",
        limit: 2,
        ...(cursor === null ? {} : { cursor }),
      });
      if (page.nextCursor !== null) expect(page.entries).toHaveLength(2);
      seen.push(...ids(page.entries));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen.sort()).toEqual([...timedOut].sort());
  });

  it("rejects an unknown reason, naming the allowed ones", async () => {
    await expect(admin.list({ reason: "bored" as never })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(admin.count({ reason: "bored" as never })).rejects.toThrow(/exception, timeout/);
  });
});

describe("paging both ways", () => {
  it("a page's prevCursor leads back to the page before it, in the same order", async () => {
    const all = (await admin.list({ limit: 1_000 })).entries;
    const forward: DeadLetterPage[] = [];
    let cursor: string | null = null;
    do {
      const page: DeadLetterPage = await admin.list({ limit: 3, ...(cursor === null ? {} : { cursor }) });
      forward.push(page);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(forward[0]?.prevCursor).toBeNull();
    expect(forward.flatMap((page) => ids(page.entries))).toEqual(ids(all));
    // Walk back from the last page with prevCursor: the same pages, in reverse.
    const last = forward.at(-1);
    let back = last?.prevCursor ?? null;
    const backward: string[][] = [];
    while (back !== null) {
      const page = await admin.list({ limit: 3, cursor: back });
      backward.push(ids(page.entries));
      back = page.prevCursor;
    }
    expect(backward).toEqual(
      forward
        .slice(0, -1)
        .reverse()
        .map((page) => ids(page.entries)),
    );
  });

  it("a backward page's nextCursor goes forward again", async () => {
    const first = await admin.list({ limit: 4 });
    const second = await admin.list({ limit: 4, cursor: first.nextCursor ?? "" });
    const back = await admin.list({ limit: 4, cursor: second.prevCursor ?? "" });
    expect(ids(back.entries)).toEqual(ids(first.entries));
    const again = await admin.list({ limit: 4, cursor: back.nextCursor ?? "" });
    expect(ids(again.entries)).toEqual(ids(second.entries));
  });
});

describe("bulk operations with a reason", () => {
  it("replayAll replays only the entries of that reason", async () => {
    const result = await admin.replayAll({ reason: "timeout" });
    expect(result.replayed).toBe(timedOut.length);
    const replayed = (await admin.list({ replayed: true, limit: 100 })).entries;
    expect(ids(replayed).sort()).toEqual([...timedOut].sort());
  });

  it("purge deletes only the entries of that reason, and their jobs", async () => {
    const before = await admin.count({ reason: "exception" });
    expect(before).toBeGreaterThanOrEqual(thrown.length);
    const result = await admin.purge({ reason: "exception", function: "throws" });
    expect(result.purged).toBe(before);
    expect(await admin.count({ reason: "exception" })).toBe(0);
    for (const id of thrown) expect(await redis.exists(`${namespace}:{throws}:job:${id}`)).toBe(0);
    const timeouts = await admin.count({ reason: "timeout", function: "slow" });
    expect(timeouts).toBeGreaterThanOrEqual(timedOut.length);
  });
});
