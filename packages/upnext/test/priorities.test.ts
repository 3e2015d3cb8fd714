import { afterAll, describe, expect, it } from "vitest";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { testConfig, testWorker } from "./helpers/worker.js";

const redis = redisClient();
const namespaces: string[] = [];

afterAll(async () => {
  for (const namespace of namespaces) await deleteNamespace(redis, namespace);
  redis.disconnect();
});

/** A producer and a one-slot, no-prefetch worker recording the order jobs start in. */
function setup(step = "1m") {
  const namespace = testNamespace("priorities");
  namespaces.push(namespace);
  const config = testConfig({ UPNEXT_PRIORITY_STEP: step });
  const order: string[] = [];
  const producer = testWorker(namespace, {}, config);
  const worker = testWorker(namespace, { concurrency: 1, prefetch: 0 }, config);
  const define = (target: typeof producer, name: string) =>
    target.task(name, {}, (input: { label: string }) => {
      order.push(input.label);
      return input.label;
    });
  return { producer, worker, order, define };
}

describe("priorities", () => {
  it("runs higher priorities first and equal priorities in submit order", async () => {
    const { producer, worker, order, define } = setup();
    const submit = define(producer, "work");
    define(worker, "work");
    const refs = [
      ...(await submit.submitMany([{ label: "n1" }, { label: "n2" }, { label: "n3" }])),
      await submit.submit({ label: "h1" }, { priority: 5 }),
      await submit.submit({ label: "low" }, { priority: -5 }),
      await submit.submit({ label: "h2" }, { priority: 5 }),
      await submit.submit({ label: "top" }, { priority: 9 }),
    ];
    await worker.start();
    await Promise.all(refs.map((ref) => ref.result({ timeout: "10s" })));
    expect(order).toEqual(["top", "h1", "h2", "n1", "n2", "n3", "low"]);
    await worker.stop();
    await producer.stop();
  });

  it("does not starve lower priorities: a job that waited longer than the priority difference × step goes first", async () => {
    const { producer, worker, order, define } = setup("100ms");
    const submit = define(producer, "work");
    define(worker, "work");
    const old = await submit.submit({ label: "old-normal" });
    // Waits 3 steps; a priority-2 job submitted now is ordered as if submitted 2 steps ago: later.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const urgent = await submit.submit({ label: "new-priority-2" }, { priority: 2 });
    const fresh = await submit.submit({ label: "new-priority-9" }, { priority: 9 });
    await worker.start();
    await Promise.all([old, urgent, fresh].map((ref) => ref.result({ timeout: "10s" })));
    expect(order).toEqual(["new-priority-9", "old-normal", "new-priority-2"]);
    await worker.stop();
    await producer.stop();
  });

  it("lets a high-priority job of one function bypass the turns between functions on a worker", async () => {
    const namespace = testNamespace("priorities-fair");
    namespaces.push(namespace);
    const order: string[] = [];
    const producer = testWorker(namespace);
    const worker = testWorker(namespace, { concurrency: 1, prefetch: 20 });
    for (const target of [producer, worker]) {
      for (const name of ["alpha", "beta"]) {
        target.task(name, {}, async (input: string) => {
          if (target !== worker) return input;
          order.push(input);
          // The first job holds the only slot until everything else is prefetched, so what runs
          // next is decided by the worker's ordering alone, not by claim timing.
          if (input === "a1") await eventually(() => worker.metrics().prefetched >= 6, "all prefetched");
          return input;
        });
      }
    }
    const alpha = producer.tasks.get("alpha");
    const beta = producer.tasks.get("beta");
    if (!alpha || !beta) throw new Error("tasks missing");
    const refs = [
      ...(await alpha.submitMany(["a1", "a2", "a3", "a4"])),
      ...(await beta.submitMany(["b1", "b2"])),
      await beta.submit("urgent", { priority: 10 }),
    ];
    await worker.start();
    await Promise.all(refs.map((ref) => ref.result({ timeout: "10s" })));
    expect(order[0]).toBe("a1");
    expect(order[1]).toBe("urgent");
    // The others keep taking turns between the two functions.
    expect(order.slice(2)).toEqual(["a2", "b1", "a3", "b2", "a4"]);
    await worker.stop();
    await producer.stop();
  });
});
