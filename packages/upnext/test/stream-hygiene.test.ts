import { CONSUMER_GROUP } from "@upnext/core";
import { afterAll, describe, expect, it } from "vitest";
import { StreamSweep } from "../src/runtime/sweeps/stream-sweep.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { testWorker } from "./helpers/worker.js";

const namespace = testNamespace("streams");
const redis = redisClient();
const stream = `${namespace}:{echo}:stream`;

const producer = testWorker(namespace);
const producerEcho = producer.task("echo", {}, () => null);
const worker = testWorker(namespace, { concurrency: 2 });
const echo = worker.task("echo", {}, (input: string) => input);

afterAll(async () => {
  await worker.stop();
  await producer.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("streams and consumer groups", () => {
  it("runs jobs enqueued before any worker created the consumer group (a first start misses nothing)", async () => {
    const early = await producerEcho.submitMany(["a", "b", "c"]);
    expect(await redis.xlen(stream)).toBe(3);
    await worker.start();
    expect(await Promise.all(early.map((ref) => ref.result({ timeout: "5s" })))).toEqual(["a", "b", "c"]);
    // Claimed entries are removed: the stream only holds unclaimed job ids.
    await eventually(async () => (await redis.xlen(stream)) === 0, "stream emptied");
  });

  it("acknowledges and reports a malformed or stale entry, and keeps going", async () => {
    const before = worker.metrics().jobs.badEntries;
    await redis.xadd(stream, "*", "not-an-id", "garbage");
    await redis.xadd(stream, "*", "i", "01HZZZZZZZZZZZZZZZZZZZZZZZ");
    const after = await echo.submit("still working");
    expect(await after.result({ timeout: "5s" })).toBe("still working");
    await eventually(() => worker.metrics().jobs.badEntries - before === 2, "both bad entries reported");
    await eventually(async () => (await redis.xlen(stream)) === 0, "bad entries removed");
    // Nothing is left pending in the consumer group.
    const [groupInfo] = (await redis.xinfo("GROUPS", stream)) as unknown[][];
    const fields = groupInfo ?? [];
    expect(fields[fields.indexOf("pending") + 1]).toBe(0);
  });

  it("cleans up stale consumers and groups, never a consumer that owns entries", async () => {
    // A function no worker serves, so no claim touches its stream during the test.
    const orphan = `${namespace}:{orphan}:stream`;
    await redis.sadd(`${namespace}:functions`, "orphan");
    await redis.xgroup("CREATE", orphan, CONSUMER_GROUP, "$", "MKSTREAM");
    await redis.xgroup("CREATE", orphan, "legacy-group", "$");
    await redis.xgroup("CREATECONSUMER", orphan, CONSUMER_GROUP, "dead-consumer");
    // A consumer that still owns an entry: it and its group must survive the cleanup.
    await redis.xadd(orphan, "*", "i", "01HZZZZZZZZZZZZZZZZZZZZZZZ");
    await redis.xreadgroup("GROUP", CONSUMER_GROUP, "busy-consumer", "COUNT", 1, "STREAMS", orphan, ">");
    await redis.xgroup("CREATE", orphan, "busy-group", "0");
    await redis.xreadgroup("GROUP", "busy-group", "other-busy", "COUNT", 1, "STREAMS", orphan, ">");
    await new Promise((resolve) => setTimeout(resolve, 30));
    const housekeeping = new StreamSweep({
      redis,
      keys: worker.connection.keys,
      functionKeys: (fn) => worker.connection.backend.keysOf(fn),
      knownFunctions: () => worker.connection.backend.knownFunctions(),
      workerId: "test",
      intervalMs: 60_000,
      consumerIdleMs: 10,
      deadLetterRetentionMs: 60_000,
      logger: worker.connection.logger,
    });
    const report = await housekeeping.run();
    expect(report.groupsDestroyed).toBe(1);
    const names = (rows: unknown[][]) => rows.map((row) => row[row.indexOf("name") + 1]);
    expect(names((await redis.xinfo("GROUPS", orphan)) as unknown[][]).sort()).toEqual([
      "busy-group",
      CONSUMER_GROUP,
    ]);
    const consumers = names((await redis.xinfo("CONSUMERS", orphan, CONSUMER_GROUP)) as unknown[][]);
    expect(consumers).toContain("busy-consumer");
    expect(consumers).not.toContain("dead-consumer");
    // Only one worker at a time runs housekeeping.
    expect(await housekeeping.runIfLeader()).toBeDefined();
    expect(await housekeeping.runIfLeader()).toBeUndefined();
  });
});
