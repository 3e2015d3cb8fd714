import { RateLimitedError, UnknownTaskError } from "@upnext/core";
import { afterAll, describe, expect, it } from "vitest";
import { Functions } from "../src/index.js";
import type { Worker } from "../src/index.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { testWorker } from "./helpers/worker.js";

const redis = redisClient();
const namespaces: string[] = [];
const workers: Worker[] = [];

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  for (const namespace of namespaces) await deleteNamespace(redis, namespace);
  redis.disconnect();
});

function freshNamespace(): string {
  const namespace = testNamespace("flow");
  namespaces.push(namespace);
  return namespace;
}

function track<W extends Worker>(worker: W): W {
  workers.push(worker);
  return worker;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("rate limits", () => {
  it("hold across three workers: starts are spaced evenly, never more than the limit in any window", async () => {
    const namespace = freshNamespace();
    const starts: number[] = [];
    const options = { rateLimit: "10/s" } as const;
    const producer = track(testWorker(namespace));
    const submit = producer.task("limited", options, () => null);
    for (let i = 0; i < 3; i++) {
      const worker = track(testWorker(namespace, { name: `w${i}`, concurrency: 10 }));
      worker.task("limited", options, () => {
        starts.push(Date.now());
        return null;
      });
      await worker.start();
    }
    const refs = await submit.submitMany(Array.from({ length: 25 }, () => null));
    await Promise.all(refs.map((ref) => ref.result({ timeout: "20s" })));
    starts.sort((a, b) => a - b);
    // 25 jobs at 10/s: slots 100 ms apart, so at least 2.4 s from first to last start.
    expect((starts.at(-1) ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(2_300);
    // No one-second window holds more than the limit (plus one for a boundary).
    for (const from of starts) {
      const inWindow = starts.filter((at) => at >= from && at < from + 1_000).length;
      expect(inWindow).toBeLessThanOrEqual(11);
    }
    // Jobs put off by the limiter were deferred once each, not once per attempt.
    const deferrals = await Promise.all(
      refs.map(async (ref) =>
        Number((await redis.hget(`${namespace}:{limited}:job:${ref.id}`, "deferrals")) ?? 0),
      ),
    );
    expect(Math.max(...deferrals)).toBeLessThanOrEqual(1);
  });

  it("keyed by input: each tenant has its own bucket", async () => {
    const namespace = freshNamespace();
    const starts: Record<string, number[]> = { a: [], b: [] };
    const options = {
      rateLimit: { limit: "2/s", key: (input: { tenant: string }) => input.tenant },
    } as const;
    const producer = track(testWorker(namespace));
    const submit = producer.task("per-tenant", options, () => null);
    const worker = track(testWorker(namespace, { concurrency: 10 }));
    worker.task("per-tenant", options, (input: { tenant: string }) => {
      starts[input.tenant]?.push(Date.now());
      return null;
    });
    await worker.start();
    const refs = await submit.submitMany([
      { tenant: "a" },
      { tenant: "a" },
      { tenant: "a" },
      { tenant: "b" },
      { tenant: "b" },
      { tenant: "b" },
    ]);
    await Promise.all(refs.map((ref) => ref.result({ timeout: "20s" })));
    for (const tenant of ["a", "b"]) {
      const times = (starts[tenant] ?? []).sort((x, y) => x - y);
      expect(times).toHaveLength(3);
      // 2/s per tenant: the third start of a tenant comes at least ~a second after its first.
      expect((times[2] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(900);
    }
    // The tenants do not share a bucket: each has its own, and neither tenant's first job was
    // deferred behind the other's.
    expect(await redis.exists(`${namespace}:{per-tenant}:rate:a`, `${namespace}:{per-tenant}:rate:b`)).toBe(
      2,
    );
    const deferrals = await Promise.all(
      refs.map(async (ref) =>
        Number((await redis.hget(`${namespace}:{per-tenant}:job:${ref.id}`, "deferrals")) ?? 0),
      ),
    );
    expect(deferrals.filter((count) => count === 0).length).toBeGreaterThanOrEqual(2);
  });

  it("at enqueue with 'reject': throws RateLimitedError with the retry time and enqueues nothing", async () => {
    const namespace = freshNamespace();
    const producer = track(testWorker(namespace));
    const submit = producer.task("strict", { rateLimit: { limit: "2/m", onEnqueue: "reject" } }, () => null);
    await submit.submit(null);
    const before = Date.now();
    const error = await submit.submit(null).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    const retryAt = (error as RateLimitedError).retryAt.getTime();
    // 2 per minute, evenly spaced: the next slot is about 30 s after the first.
    expect(retryAt).toBeGreaterThan(before + 20_000);
    expect(retryAt).toBeLessThan(before + 31_000);
    expect(await redis.xlen(`${namespace}:{strict}:stream`)).toBe(1);
  });

  it("at enqueue with 'delay': schedules each job at its own free slot, so the queue cannot fill up", async () => {
    const namespace = freshNamespace();
    const producer = track(testWorker(namespace));
    const submit = producer.task("smoothed", { rateLimit: { limit: "5/s", onEnqueue: "delay" } }, () => null);
    const refs = await submit.submitMany(Array.from({ length: 6 }, () => null));
    const snapshots = await Promise.all(refs.map((ref) => ref.status()));
    expect(snapshots[0]?.status).toBe("queued");
    const scheduled = snapshots.slice(1).map((snapshot) => snapshot.scheduledAt ?? 0);
    expect(snapshots.slice(1).every((snapshot) => snapshot.status === "scheduled")).toBe(true);
    for (let i = 1; i < scheduled.length; i++) {
      // 5/s: slots 200 ms apart (Redis clock), in submit order.
      expect((scheduled[i] ?? 0) - (scheduled[i - 1] ?? 0)).toBeGreaterThanOrEqual(199);
    }
    expect(await redis.xlen(`${namespace}:{smoothed}:stream`)).toBe(1);
  });
});

describe("concurrency caps", () => {
  it("a routing group's cap holds across workers and tasks under load (sampled)", async () => {
    const namespace = freshNamespace();
    let running = 0;
    let peak = 0;
    const samples: number[] = [];
    const group = { routingGroup: "payments-api", groupMaxConcurrency: 3 } as const;
    const producer = track(testWorker(namespace));
    const charge = producer.task("charge", group, () => null);
    const refund = producer.task("refund", group, () => null);
    for (let i = 0; i < 3; i++) {
      const worker = track(testWorker(namespace, { name: `g${i}`, concurrency: 8 }));
      for (const name of ["charge", "refund"]) {
        worker.task(name, group, async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(15);
          running--;
          return null;
        });
      }
      await worker.start();
    }
    const sampler = setInterval(() => {
      void Promise.all([
        redis.zcard(`${namespace}:{charge}:leases`),
        redis.zcard(`${namespace}:{refund}:leases`),
      ]).then(([a, b]) => samples.push(a + b));
    }, 5);
    const refs = [
      ...(await charge.submitMany(Array.from({ length: 30 }, () => null))),
      ...(await refund.submitMany(Array.from({ length: 30 }, () => null))),
    ];
    await Promise.all(refs.map((ref) => ref.result({ timeout: "30s" })));
    clearInterval(sampler);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBe(3);
    expect(Math.max(...samples)).toBeLessThanOrEqual(3);
  });

  it("a task's own cap holds across workers", async () => {
    const namespace = freshNamespace();
    let running = 0;
    let peak = 0;
    const producer = track(testWorker(namespace));
    const submit = producer.task("capped", { concurrency: 2 }, () => null);
    for (let i = 0; i < 2; i++) {
      const worker = track(testWorker(namespace, { name: `c${i}`, concurrency: 5 }));
      worker.task("capped", { concurrency: 2 }, async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(10);
        running--;
        return null;
      });
      await worker.start();
    }
    const refs = await submit.submitMany(Array.from({ length: 20 }, () => null));
    await Promise.all(refs.map((ref) => ref.result({ timeout: "30s" })));
    expect(peak).toBe(2);
  });
});

describe("pausing a function", () => {
  it("stops claims without losing jobs, and resuming runs them", async () => {
    const namespace = freshNamespace();
    const ran: string[] = [];
    const worker = track(testWorker(namespace, { concurrency: 4 }));
    const task = worker.task("pausable", {}, (input: string) => {
      ran.push(input);
      return input;
    });
    await worker.start();
    const functions = new Functions(worker.connection);
    await functions.pause("pausable");
    const refs = await task.submitMany(["x", "y", "z"]);
    await sleep(400);
    expect(ran).toEqual([]);
    const state = await functions.state("pausable");
    expect(state.paused).toBe(true);
    expect(state.queued).toBe(3);
    await functions.resume("pausable");
    expect(await Promise.all(refs.map((ref) => ref.result({ timeout: "10s" })))).toEqual(["x", "y", "z"]);
    await eventually(() => ran.length === 3, "all ran");
    // A typo must not silently pause nothing.
    await expect(functions.pause("pausabel")).rejects.toBeInstanceOf(UnknownTaskError);
  });
});
