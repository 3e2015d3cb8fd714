import { newJobId } from "@upnext/core";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import type { ClaimedJob, FinishRequest, QueueBackend, SettleResult } from "../src/backend/queue-backend.js";
import { RedisBackend } from "../src/backend/redis/redis-backend.js";
import { Finisher } from "../src/runtime/execution/finisher.js";
import { deleteNamespace, redisClient, testNamespace } from "./helpers/redis.js";

// Two finish batches of one function may be on their way at once (docs/decisions/0017); a small
// remainder waits for the batch on its way instead.
const redis = redisClient();
const namespace = testNamespace("finisher");
const backend = new RedisBackend({
  redis,
  namespace,
  jobRetentionMs: 60_000,
  deadLetterRetentionMs: 60_000,
  idempotencyTtlMs: 60_000,
});

afterAll(async () => {
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

async function claimed(fn: string, count: number): Promise<ClaimedJob[]> {
  await backend.enqueue(
    Array.from({ length: count }, () => {
      const id = newJobId();
      return {
        id,
        function: fn,
        input: "null",
        maxAttempts: 1,
        maxDeliveries: 2,
        priority: 0,
        parentId: null,
        rootId: id,
        idempotencyKey: null,
        runAt: null,
        timeoutMs: 10_000,
        tags: {},
        metadata: {},
        createdAt: Date.now(),
      };
    }),
  );
  const { jobs } = await backend.claim(fn, {
    workerId: "w1",
    count,
    leaseMs: 30_000,
    now: Date.now(),
    runnable: count,
  });
  expect(jobs).toHaveLength(count);
  return jobs;
}

/** The real backend, with the first finish call held until `release()` and every call recorded. */
function gatedBackend(): {
  backend: QueueBackend;
  calls: number[];
  maxInFlight: () => number;
  release: () => void;
} {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const calls: number[] = [];
  let inFlight = 0;
  let most = 0;
  const wrapped = Object.create(backend) as QueueBackend;
  wrapped.finish = async (fn, requests, claim) => {
    calls.push(requests.length);
    inFlight++;
    most = Math.max(most, inFlight);
    try {
      if (calls.length === 1) await gate;
      return await backend.finish(fn, requests, claim);
    } finally {
      inFlight--;
    }
  };
  return { backend: wrapped, calls, maxInFlight: () => most, release };
}

function finisherOn(target: QueueBackend): Finisher {
  return new Finisher({
    backend: target,
    workerId: "w1",
    leaseMs: 30_000,
    maxBatch: 500,
    logger: pino({ level: "silent" }),
    reserveClaims: () => 0,
    runnable: () => 0,
    onDependents: () => undefined,
    onClaimed: () => undefined,
    traced: () => false,
  });
}

const complete = (job: ClaimedJob): FinishRequest => ({
  id: job.id,
  token: job.token,
  outcome: { kind: "complete", result: "null" },
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("the finisher", () => {
  it("sends a second batch while the first is on its way, and stores every outcome once", async () => {
    const jobs = await claimed("fin-a", 100);
    const gated = gatedBackend();
    const finisher = finisherOn(gated.backend);
    const [first, ...rest] = jobs;
    if (!first) throw new Error("no job");
    const results: Promise<SettleResult>[] = [finisher.settle("fin-a", complete(first))];
    await nextTurn(); // the first flush (one job) is now held at the gate
    results.push(...rest.map((job) => finisher.settle("fin-a", complete(job))));
    await nextTurn();
    await nextTurn();
    expect(gated.calls).toEqual([1, 99]);
    gated.release();
    expect(await Promise.all(results)).toEqual(jobs.map(() => "ok"));
    await finisher.idle();
    expect(gated.maxInFlight()).toBe(2);
    const statuses = await Promise.all(
      jobs.map(async (job) => (await backend.getJob(job.id, "fin-a"))?.status),
    );
    expect(new Set(statuses)).toEqual(new Set(["complete"]));
    expect(await redis.zcard(backend.keysOf("fin-a").leases)).toBe(0);
  });

  it("keeps a small remainder for the next batch instead of a round trip of its own", async () => {
    const jobs = await claimed("fin-b", 4);
    const gated = gatedBackend();
    const finisher = finisherOn(gated.backend);
    const [first, ...rest] = jobs;
    if (!first) throw new Error("no job");
    const results = [finisher.settle("fin-b", complete(first))];
    await nextTurn();
    results.push(...rest.map((job) => finisher.settle("fin-b", complete(job))));
    await nextTurn();
    await nextTurn();
    expect(gated.calls).toEqual([1]);
    gated.release();
    expect(await Promise.all(results)).toEqual(["ok", "ok", "ok", "ok"]);
    await finisher.idle();
    expect(gated.calls).toEqual([1, 3]);
    expect(gated.maxInFlight()).toBe(1);
  });
});
