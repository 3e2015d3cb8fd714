/**
 * Dead letters end to end on the real Redis: jobs really fail on a worker (tasks without
 * retries that throw until their function is "healed"), then are listed, shown, replayed on the
 * same worker and purged, through `worker.deadLetters` and a standalone `DeadLetters`.
 */
import { InvalidOptionError, JobNotFoundError, TaskFailedError, type JobOrigin } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AlreadyReplayedError,
  DeadLetters,
  NotDeadLetteredError,
  type DeadLetterEntry,
  type DeadLetterFilter,
  type DeadLetterPage,
  type DeadLetterProgress,
  type DeadLetterReplayProgress,
} from "../src/index.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { failAll, readEvents, testConfig, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("dead-letters");
const redis = redisClient();
const worker = testWorker(namespace, { concurrency: 50, prefetch: 100 });
const admin = new DeadLetters({ namespace, config: testConfig() });

/** Functions whose handler succeeds now; the others throw. */
const healed = new Set<string>();
/** Origins seen by handlers, by job id. */
const origins = new Map<string, JobOrigin | null>();
let bulkReplaysRun = 0;

const charge = worker.task("charge", {}, (input: { order: number }, ctx) => {
  origins.set(ctx.jobId, ctx.origin);
  if (!healed.has("charge")) throw new Error(`card declined for order ${input.order}`);
  return { charged: input.order, attempt: ctx.attempt };
});

const notify = worker.task("notify", {}, (input: { to: string }) => {
  throw new Error(`mailbox ${input.to} is full`);
});

const bulk = worker.task("bulk", {}, (input: { n: number }, ctx) => {
  if (!healed.has("bulk")) throw new Error(`bulk ${input.n} failed`);
  if (ctx.origin?.kind === "replay") bulkReplaysRun++;
  return input.n;
});

const succeeds = worker.task("succeeds", {}, () => "fine");

function isNewestFirst(entries: readonly DeadLetterEntry[]): boolean {
  return entries.every((entry, i) => {
    const previous = entries[i - 1];
    if (!previous) return true;
    return (
      previous.failedAt > entry.failedAt ||
      (previous.failedAt === entry.failedAt && previous.jobId > entry.jobId)
    );
  });
}

async function everything(filter: DeadLetterFilter = {}): Promise<DeadLetterEntry[]> {
  const page = await admin.list({ ...filter, limit: 1_000 });
  expect(page.nextCursor).toBeNull();
  return page.entries;
}

let chargeIds: string[] = [];
let notifyIds: string[] = [];

beforeAll(async () => {
  await worker.start();
  chargeIds = await failAll(await charge.submitMany([1, 2, 3, 4, 5, 6, 7].map((order) => ({ order }))));
  notifyIds = await failAll(await notify.submitMany([{ to: "ann" }, { to: "bob" }, { to: "cy" }]));
});

afterAll(async () => {
  await worker.stop();
  await admin.close();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("what lands in the dead-letter set", () => {
  it("records the reason, the last error, the attempts and the input", async () => {
    const id = chargeIds[2] ?? "";
    const entry = await admin.get(id);
    expect(entry).toMatchObject({
      jobId: id,
      function: "charge",
      reason: "exception",
      attempts: 1,
      maxAttempts: 1,
      input: { order: 3 },
      replayedAs: null,
      replayedAt: null,
      replays: 0,
      origin: null,
    });
    expect(entry.error?.message).toBe("card declined for order 3");
    expect(entry.error?.stack).toContain("dead-letters.test.ts");
    expect(entry.failedAt).toBeGreaterThanOrEqual(entry.createdAt);
  });

  it("refuses unknown ids and jobs that are not dead", async () => {
    await expect(admin.get("01NOSUCHJOB0000000000000000")).rejects.toBeInstanceOf(JobNotFoundError);
    const ok = await succeeds.submit(null);
    await ok.result();
    await expect(admin.get(ok.id)).rejects.toBeInstanceOf(NotDeadLetteredError);
    await expect(admin.replay(ok.id)).rejects.toThrow(/not dead-lettered \(its status is 'complete'\)/);
    await expect(admin.replay("01NOSUCHJOB0000000000000000")).rejects.toBeInstanceOf(JobNotFoundError);
  });
});

describe("list", () => {
  it("lists every function's entries newest first, or one function's", async () => {
    const all = await everything();
    expect(all.map((entry) => entry.jobId).sort()).toEqual([...chargeIds, ...notifyIds].sort());
    expect(isNewestFirst(all)).toBe(true);
    const notifyOnly = await everything({ function: "notify" });
    expect(notifyOnly.map((entry) => entry.jobId).sort()).toEqual([...notifyIds].sort());
    expect(await admin.count({ function: "charge" })).toBe(chargeIds.length);
    expect((await admin.list({ function: "no-such-function" })).entries).toEqual([]);
  });

  it("pages through stable cursors without gaps or repeats", async () => {
    const all = await everything();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await worker.deadLetters.list({ limit: 3, ...(cursor !== null ? { cursor } : {}) });
      expect(page.entries.length).toBeLessThanOrEqual(3);
      seen.push(...page.entries.map((entry) => entry.jobId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(seen).toEqual(all.map((entry) => entry.jobId));
    expect(pages).toBe(Math.ceil(all.length / 3));
  });

  it("keeps page boundaries exact inside a group of equal times, even when entries go away", async () => {
    // One batched finish fails many jobs at the same millisecond: make every entry share a time.
    const key = `${namespace}:{charge}:dead`;
    const saved = await redis.zrange(key, "0", "-1", "WITHSCORES");
    const shared = saved[1] ?? "0";
    await redis.zadd(key, ...chargeIds.flatMap((id) => [shared, id]));
    try {
      const byIdDescending = [...chargeIds].sort().reverse();
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: DeadLetterPage = await admin.list({
          function: "charge",
          limit: 2,
          ...(cursor !== null ? { cursor } : {}),
        });
        seen.push(...page.entries.map((entry) => entry.jobId));
        cursor = page.nextCursor;
        // Removing the entry a cursor points at does not shift the next page.
        if (seen.length === 2) await redis.zrem(key, seen[1] ?? "");
      } while (cursor !== null);
      expect(seen).toEqual(byIdDescending);
    } finally {
      await redis.zadd(
        key,
        ...saved.flatMap((value, i) => (i % 2 === 0 ? [saved[i + 1] ?? "0", value] : [])),
      );
    }
  });

  it("filters by time: since is inclusive, before exclusive", async () => {
    const all = await everything();
    const pivot = all[Math.floor(all.length / 2)]?.failedAt ?? 0;
    const since = await everything({ since: pivot });
    const before = (await admin.list({ before: new Date(pivot), limit: 1_000 })).entries;
    expect(since.every((entry) => entry.failedAt >= pivot)).toBe(true);
    expect(before.every((entry) => entry.failedAt < pivot)).toBe(true);
    expect(since.length + before.length).toBe(all.length);
    expect(await admin.count({ before: pivot })).toBe(before.length);
    const window = await admin.list({ since: pivot, before: pivot + 1, limit: 1_000 });
    expect(window.entries.every((entry) => entry.failedAt === pivot)).toBe(true);
  });

  it("rejects bad filters with typed errors", async () => {
    await expect(admin.list({ since: new Date("not a date") })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(admin.list({ since: 2_000, before: 1_000 })).rejects.toThrow(
      /since must be earlier than before/,
    );
    await expect(admin.list({ cursor: "garbage" })).rejects.toThrow(/Invalid cursor/);
    await expect(admin.list({ limit: 0 })).rejects.toThrow(/Invalid limit/);
    await expect(admin.list({ function: "bad name!" })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(admin.list({ colour: "red" } as never)).rejects.toThrow(/unknown option/);
  });
});

describe("replay", () => {
  it("creates a new job linked to the original, which runs now that the task succeeds", async () => {
    healed.add("charge");
    const original = chargeIds[0] ?? "";
    const ref = await admin.replay(original);
    expect(ref.id).not.toBe(original);
    expect(ref.functionName).toBe("charge");
    expect(await ref.result()).toEqual({ charged: 1, attempt: 1 });

    const snapshot = await ref.status();
    expect(snapshot).toMatchObject({
      status: "complete",
      attempt: 1,
      maxAttempts: 1,
      input: { order: 1 },
      origin: { kind: "replay", replayOf: original },
      rootId: ref.id,
    });
    expect(origins.get(ref.id)).toEqual({ kind: "replay", replayOf: original });

    // The dead entry stays, marked with its replay.
    const entry = await admin.get(original);
    expect(entry.replayedAs).toBe(ref.id);
    expect(entry.replays).toBe(1);
    expect(entry.replayedAt).toBeGreaterThanOrEqual(entry.failedAt);
    const pending = (await admin.list({ function: "charge", replayed: false, limit: 1_000 })).entries;
    expect(pending.map((e) => e.jobId)).not.toContain(original);
    const replayed = (await admin.list({ function: "charge", replayed: true, limit: 1_000 })).entries;
    expect(replayed.map((e) => e.jobId)).toEqual([original]);

    // The replay was announced like any submit, with its origin.
    const queued = (await readEvents(redis, namespace)).find(
      (event) => event.type === "queued" && event.jobId === ref.id,
    );
    expect(queued).toMatchObject({
      data: { from: "submit", origin: { kind: "replay", replayOf: original }, input: { order: 1 } },
    });
  });

  it("refuses a second replay unless forced", async () => {
    const original = chargeIds[0] ?? "";
    const first = (await admin.get(original)).replayedAs;
    await expect(admin.replay(original)).rejects.toBeInstanceOf(AlreadyReplayedError);
    await expect(admin.replay(original)).rejects.toThrow(`already replayed as '${first ?? ""}'`);
    const forced = await admin.replay(original, { force: true });
    await forced.result();
    const entry = await admin.get(original);
    expect(entry.replayedAs).toBe(forced.id);
    expect(entry.replays).toBe(2);
  });

  it("creates exactly one replay when two operators replay the same entry at once", async () => {
    const original = chargeIds[1] ?? "";
    const outcomes = await Promise.allSettled([
      admin.replay(original),
      worker.deadLetters.replay(original),
      admin.replay(original),
    ]);
    const won = outcomes.filter((outcome) => outcome.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(AlreadyReplayedError);
    }
    const entry = await admin.get(original);
    expect(entry.replays).toBe(1);
    if (won[0]?.status === "fulfilled") expect(entry.replayedAs).toBe(won[0].value.id);
  });

  it("a replay that fails again is dead-lettered as its own entry, pointing at the original", async () => {
    const original = notifyIds[0] ?? "";
    const ref = await worker.deadLetters.replay(original);
    await expect(ref.result()).rejects.toBeInstanceOf(TaskFailedError);
    const entry = await admin.get(ref.id);
    expect(entry.origin).toEqual({ kind: "replay", replayOf: original });
    expect(entry.error?.message).toBe("mailbox ann is full");
  });
});

describe("bulk replay and purge", () => {
  const BULK = 1_200;

  beforeAll(async () => {
    const refs = await bulk.submitMany(Array.from({ length: BULK }, (_, n) => ({ n })));
    await Promise.allSettled(refs.map((ref) => ref.result()));
    expect(await admin.count({ function: "bulk" })).toBe(BULK);
  }, 60_000);

  it("replays ~1,200 entries in batches of 500 with progress, then skips them the second time", async () => {
    healed.add("bulk");
    const progress: DeadLetterReplayProgress[] = [];
    const result = await admin.replayAll({ function: "bulk" }, (p) => progress.push(p));
    expect(result).toEqual({ total: BULK, replayed: BULK, skipped: 0 });
    expect(progress).toHaveLength(Math.ceil(BULK / 500));
    expect(progress.map((p) => p.done)).toEqual([500, 1_000, 1_200]);
    expect(progress.every((p) => p.total === BULK && p.function === "bulk")).toBe(true);

    await eventually(() => bulkReplaysRun >= BULK, "every replay to run", 30_000);
    expect(bulkReplaysRun).toBe(BULK);
    expect((await admin.list({ function: "bulk", replayed: false })).entries).toEqual([]);

    const again = await admin.replayAll({ function: "bulk", batchSize: 1_000 });
    expect(again).toEqual({ total: BULK, replayed: 0, skipped: BULK });
  }, 60_000);

  it("purge --before deletes the older entries and their jobs in batches; replays are untouched", async () => {
    const entries = (await admin.list({ function: "bulk", limit: 1_000 })).entries;
    const pivot = entries[entries.length - 1]?.failedAt ?? 0;
    // The pivot is the oldest time of the newest 1,000: there are older ones when times differ.
    const older = await admin.count({ function: "bulk", before: pivot });
    const newer = await admin.count({ function: "bulk", since: pivot });
    expect(older + newer).toBe(BULK);

    const sample = (await admin.list({ function: "bulk", before: pivot, limit: 1 })).entries[0];
    const progress: DeadLetterProgress[] = [];
    const result = await admin.purge({ function: "bulk", before: pivot, batchSize: 100 }, (p) =>
      progress.push(p),
    );
    expect(result).toEqual({ total: older, purged: older });
    expect(progress).toHaveLength(Math.ceil(older / 100));
    expect(await admin.count({ function: "bulk", before: pivot })).toBe(0);
    expect(await admin.count({ function: "bulk" })).toBe(newer);

    if (sample) {
      expect(await redis.exists(`${namespace}:{bulk}:job:${sample.jobId}`)).toBe(0);
      expect(await redis.exists(`${namespace}:jobfn:${sample.jobId}`)).toBe(0);
      await expect(admin.get(sample.jobId)).rejects.toBeInstanceOf(JobNotFoundError);
      // Its replay is a job of its own and stays.
      expect((await bulk.ref(sample.replayedAs ?? "").status()).status).toBe("complete");
    }

    const rest = await worker.deadLetters.purge({ function: "bulk" });
    expect(rest.purged).toBe(newer);
    expect(await admin.count({ function: "bulk" })).toBe(0);
    // Other functions' entries are not touched by a purge of one function.
    expect(await admin.count({ function: "notify" })).toBeGreaterThan(0);
  }, 60_000);
});
