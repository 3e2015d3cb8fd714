import { newJobId } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewJob } from "../src/backend/queue-backend.js";
import { RedisBackend } from "../src/backend/redis/redis-backend.js";
import { deleteNamespace, redisClient, testNamespace } from "./helpers/redis.js";

const redis = redisClient();
const namespace = testNamespace("redis-backend");
const backend = new RedisBackend({
  redis,
  namespace,
  jobRetentionMs: 60_000,
  deadLetterRetentionMs: 120_000,
  idempotencyTtlMs: 60_000,
});

function job(fn: string, overrides: Partial<NewJob> = {}): NewJob {
  const id = newJobId();
  return {
    id,
    function: fn,
    input: JSON.stringify({ n: 1 }),
    maxAttempts: 3,
    maxDeliveries: 2,
    priority: 0,
    parentId: null,
    rootId: id,
    idempotencyKey: null,
    runAt: null,
    timeoutMs: 1_000,
    tags: {},
    metadata: {},
    createdAt: Date.now(),
    ...overrides,
  };
}

const claimOptions = (count: number) => ({
  workerId: "w1",
  count,
  leaseMs: 5_000,
  now: Date.now(),
  runnable: count,
});

beforeAll(async () => {
  await redis.ping();
});

afterAll(async () => {
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("RedisBackend scripts", () => {
  it("enqueues, claims with a lease and completes a job", async () => {
    const [created] = await backend.enqueue([job("a")]);
    expect(created?.created).toBe(true);
    const claimed = await backend.claim("a", claimOptions(10));
    expect(claimed.jobs).toHaveLength(1);
    const held = claimed.jobs[0];
    if (!held) throw new Error("no job");
    expect(held.attempt).toBe(1);
    expect(held.input).toBe('{"n":1}');
    expect(claimed.lastId).not.toBeNull();
    expect((await backend.getJob(held.id))?.status).toBe("active");
    expect(await redis.zscore(backend.keysOf("a").leases, held.id)).not.toBeNull();
    // Stream entries are deleted as they are claimed.
    expect(await redis.xlen(backend.keysOf("a").stream)).toBe(0);

    const finished = await backend.finish(
      "a",
      [{ id: held.id, token: held.token, outcome: { kind: "complete", result: '"done"' } }],
      claimOptions(0),
    );
    expect(finished.results).toEqual(["ok"]);
    const snapshot = await backend.getJob(held.id);
    expect(snapshot?.status).toBe("complete");
    expect(snapshot?.result).toBe("done");
    expect(await redis.pttl(backend.keysOf("a").job(held.id))).toBeGreaterThan(0);
    expect(await redis.zscore(backend.keysOf("a").leases, held.id)).toBeNull();
  });

  it("returns the existing job for a duplicate idempotency key", async () => {
    const first = await backend.enqueue([job("b", { idempotencyKey: "k1" })]);
    const second = await backend.enqueue([job("b", { idempotencyKey: "k1" })]);
    expect(second[0]?.created).toBe(false);
    expect(second[0]?.id).toBe(first[0]?.id);
  });

  it("enqueues a batch across functions in order, deduplicating keys within the batch", async () => {
    const batch = [
      job("b1", { idempotencyKey: "same" }),
      job("b2"),
      job("b1", { idempotencyKey: "same" }),
      job("b1", { runAt: Date.now() + 60_000 }),
    ];
    const results = await backend.enqueue(batch);
    expect(results.map((result) => result.created)).toEqual([true, true, false, true]);
    expect(results[2]?.id).toBe(batch[0]?.id);
    expect(results.map((result) => result.status)).toEqual(["queued", "queued", "queued", "scheduled"]);
    expect(await redis.xlen(backend.keysOf("b1").stream)).toBe(1);
    expect(await backend.functionOf(batch[1]?.id ?? "")).toBe("b2");
  });

  it("never overwrites a terminal state: finish after cancel is discarded", async () => {
    const [created] = await backend.enqueue([job("c")]);
    const { jobs } = await backend.claim("c", claimOptions(1));
    const held = jobs[0];
    if (!held || !created) throw new Error("no job");
    const cancel = await backend.cancel(held.id, "user asked");
    expect(cancel.outcome).toBe("cancelled");
    expect(cancel.previous).toBe("active");
    const finished = await backend.finish(
      "c",
      [{ id: held.id, token: held.token, outcome: { kind: "complete", result: "1" } }],
      claimOptions(0),
    );
    expect(finished.results).toEqual(["cancelled"]);
    expect((await backend.getJob(held.id))?.status).toBe("cancelled");
    expect((await backend.cancel(held.id)).outcome).toBe("terminal");
  });

  it("skips a job cancelled while queued", async () => {
    const [created] = await backend.enqueue([job("d")]);
    if (!created) throw new Error("no job");
    expect((await backend.cancel(created.id)).outcome).toBe("cancelled");
    const claimed = await backend.claim("d", claimOptions(5));
    expect(claimed.jobs).toHaveLength(0);
    expect(await redis.xlen(backend.keysOf("d").stream)).toBe(0);
  });

  it("schedules delayed jobs and promotes them when due", async () => {
    const runAt = Date.now() + 60_000;
    const [created] = await backend.enqueue([job("e", { runAt })]);
    expect(created?.status).toBe("scheduled");
    expect((await backend.promote("e", Date.now(), 100)).moved).toHaveLength(0);
    const promoted = await backend.promote("e", runAt + 1, 100);
    expect(promoted.moved.map((moved) => moved.id)).toEqual([created?.id]);
    expect((await backend.claim("e", claimOptions(5))).jobs).toHaveLength(1);
  });

  it("retries, recovers expired leases, and fails a job lost too often", async () => {
    const [created] = await backend.enqueue([job("f")]);
    if (!created) throw new Error("no job");
    let { jobs } = await backend.claim("f", claimOptions(1));
    let held = jobs[0];
    if (!held) throw new Error("no job");
    await backend.finish(
      "f",
      [
        {
          id: held.id,
          token: held.token,
          outcome: { kind: "retry", error: "{}", reason: "exception", retryAt: 0 },
        },
      ],
      claimOptions(0),
    );
    ({ jobs } = await backend.claim("f", claimOptions(1)));
    held = jobs[0];
    if (!held) throw new Error("no job");
    expect(held.attempt).toBe(2);
    // Lease expires: first recovery re-delivers the same attempt.
    const recovered = await backend.recover("f", Date.now() + 10_000, 2, 10);
    expect(recovered.map((r) => r.outcome)).toEqual(["requeued"]);
    const again = await backend.claim("f", claimOptions(1));
    expect(again.jobs[0]?.attempt).toBe(2);
    expect(again.jobs[0]?.deliveries).toBe(2);
    // The stale holder's late finish is discarded (its token is old).
    const late = await backend.finish(
      "f",
      [{ id: held.id, token: held.token, outcome: { kind: "complete", result: "1" } }],
      claimOptions(0),
    );
    expect(late.results).toEqual(["active"]);
    const lost = await backend.recover("f", Date.now() + 10_000, 2, 10);
    expect(lost.map((r) => r.outcome)).toEqual(["lost"]);
    const snapshot = await backend.getJob(held.id);
    expect(snapshot?.status).toBe("failed");
    expect(snapshot?.failureReason).toBe("lost");
    expect(await redis.zscore(backend.keysOf("f").deadLetter, held.id)).not.toBeNull();
  });

  it("sweeps a function in one call: promotes what is due, recovers expired leases, says what is due next", async () => {
    const runAt = Date.now() + 60_000;
    const [later] = await backend.enqueue([job("g", { runAt }), job("g")]);
    const { jobs } = await backend.claim("g", claimOptions(1));
    const held = jobs[0];
    if (!later || !held) throw new Error("no job");
    const idle = await backend.sweep("g", Date.now(), 2, 10);
    expect(idle.promoted.moved).toHaveLength(0);
    expect(idle.promoted.nextDue).toBe(runAt);
    expect(idle.recovered).toHaveLength(0);
    const due = await backend.sweep("g", runAt + 1, 2, 10);
    expect(due.promoted.moved.map((moved) => moved.id)).toEqual([later.id]);
    expect(due.promoted.nextDue).toBeNull();
    expect(due.recovered.map((recovered) => [recovered.id, recovered.outcome])).toEqual([
      [held.id, "requeued"],
    ]);
    expect((await backend.claim("g", claimOptions(5))).jobs.map((claimed) => claimed.id).sort()).toEqual(
      [later.id, held.id].sort(),
    );
  });

  it("hands jobs back without using up an attempt", async () => {
    await backend.enqueue([job("g")]);
    const { jobs } = await backend.claim("g", claimOptions(1));
    const held = jobs[0];
    if (!held) throw new Error("no job");
    expect(await backend.release("g", [held])).toEqual(["ok"]);
    const again = await backend.claim("g", claimOptions(1));
    expect(again.jobs[0]?.attempt).toBe(1);
  });

  it("acknowledges and reports malformed and stale stream entries", async () => {
    const keys = backend.keysOf("h");
    await backend.enqueue([job("h")]);
    await redis.xadd(keys.stream, "*", "garbage", "1");
    await redis.xadd(keys.stream, "*", "i", "NOSUCHJOB");
    const claimed = await backend.claim("h", claimOptions(10));
    expect(claimed.jobs).toHaveLength(1);
    expect(claimed.bad.map((bad) => bad.kind).sort()).toEqual(["malformed", "missing"]);
    expect(await redis.xlen(keys.stream)).toBe(0);
  });
});
