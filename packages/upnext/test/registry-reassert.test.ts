/**
 * When Redis loses its data under running workers (a restart without persistence), their
 * heartbeats write the function set, the function records and their flow-control settings back:
 * the server lists the functions and the limits hold again, without restarting a worker.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Worker } from "../src/index.js";
import { PrivateRedis } from "./helpers/private-redis.js";
import { eventually, testNamespace } from "./helpers/redis.js";
import { testConfig, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("reassert");
let server: PrivateRedis;
let redis: Redis;
let worker: Worker;
let running = 0;
let mostAtOnce = 0;

async function capped(): Promise<string> {
  running++;
  mostAtOnce = Math.max(mostAtOnce, running);
  await new Promise((resolve) => setTimeout(resolve, 100));
  running--;
  return "ok";
}

beforeAll(async () => {
  server = await PrivateRedis.start();
  redis = new Redis(server.url);
  redis.on("error", () => undefined);
  const config = testConfig({ UPNEXT_REDIS_URL: server.url, UPNEXT_HEARTBEAT_INTERVAL: "200ms" });
  worker = testWorker(namespace, { concurrency: 8 }, config);
  worker.task("capped", { concurrency: 1, routingGroup: "mailer", groupMaxConcurrency: 2 }, capped);
  worker.task("later", {}, () => "promoted");
  await worker.start();
});

afterAll(async () => {
  await worker.stop();
  redis.disconnect();
  await server.stop();
});

async function registry(): Promise<{
  functions: string[];
  record: Record<string, string>;
  ttl: number;
  config: Record<string, string>;
  group: string[];
}> {
  return {
    functions: (await redis.smembers(`${namespace}:functions`)).sort(),
    record: await redis.hgetall(`${namespace}:function:capped`),
    ttl: await redis.pttl(`${namespace}:function:capped`),
    config: await redis.hgetall(`${namespace}:{capped}:config`),
    group: await redis.smembers(`${namespace}:group:mailer:members`),
  };
}

describe("after Redis loses its data", () => {
  it("the heartbeat writes functions, limits and routing back, and they are enforced", async () => {
    const before = await registry();
    expect(before.functions).toEqual(["capped", "later"]);
    expect(before.config).toMatchObject({ concurrency: "1", group: "mailer", groupMax: "2" });

    await server.stop();
    await server.restart(); // in memory: every key is gone

    const after = await eventually(async () => {
      const now = await registry();
      return now.functions.length === 2 && now.config.concurrency !== undefined ? now : undefined;
    }, "the function set and flow control written back");
    expect(after.functions).toEqual(["capped", "later"]);
    expect(after.record).toMatchObject({ name: "capped", kind: "task" });
    expect(after.ttl).toBeGreaterThan(0);
    expect(after.config).toEqual(before.config);
    expect(after.group).toEqual(["capped"]);

    // The cap holds again: eight jobs on a worker with eight slots still run one at a time.
    const handle = worker.tasks.get("capped");
    if (!handle) throw new Error("no task 'capped'");
    const refs = await handle.submitMany(Array.from({ length: 8 }, () => null));
    for (const ref of refs) expect(await ref.result({ timeout: "20s" })).toBe("ok");
    expect(mostAtOnce).toBe(1);

    // Scheduled jobs are promoted again.
    const later = await worker.tasks.get("later")?.submit(null, { delay: "200ms" });
    expect(await later?.result({ timeout: "10s" })).toBe("promoted");
  }, 60_000);
});
