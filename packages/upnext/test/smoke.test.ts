import { afterAll, expect, it } from "vitest";
import { Worker } from "../src/index.js";
import { deleteNamespace, redisClient, testNamespace } from "./helpers/redis.js";

const namespace = testNamespace("smoke");
const redis = redisClient();
const worker = new Worker({ name: "smoke", namespace, concurrency: 5, handleSignals: false });
const double = worker.task("double", { retries: 1 }, (input: { n: number }) => input.n * 2);

afterAll(async () => {
  await worker.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

it("runs a job", async () => {
  await worker.start();
  const ref = await double.submit({ n: 21 });
  expect(await ref.result({ timeout: "5s" })).toBe(42);
  const many = await double.submitMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
  expect(await Promise.all(many.map((r) => r.result({ timeout: "5s" })))).toEqual([2, 4, 6]);
  console.log(worker.metrics());
});
