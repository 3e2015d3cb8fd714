import { Writable } from "node:stream";
import type { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  namespaceKeys,
  STATUS_EVENT_FIELD,
  statusEventSchema,
  type NamespaceKeys,
  type OverflowStrategy,
  type StatusEvent,
} from "@upnext/core";
import type { Logger } from "../src/runtime/observability/logger.js";
import { StatusPublisher, type StatusPublisherOptions } from "../src/runtime/status/status-publisher.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";

let redis: Redis;
let namespace: string;
let keys: NamespaceKeys;
let publishers: StatusPublisher[];

beforeAll(() => {
  redis = redisClient();
});

afterAll(async () => {
  await redis.quit();
});

beforeEach(() => {
  namespace = testNamespace("status-publisher");
  keys = namespaceKeys(namespace);
  publishers = [];
});

afterEach(async () => {
  // Closed first, so a publisher still retrying cannot write into the namespace after cleanup.
  await Promise.all(publishers.map((publisher) => publisher.close(1_000)));
  await deleteNamespace(redis, namespace);
});

interface CapturedLogger {
  readonly logger: Logger;
  /** Parsed JSON log lines written so far. */
  readonly lines: () => { level: number; msg: string; [field: string]: unknown }[];
}

function captureLogger(): CapturedLogger {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      raw.push(chunk.toString());
      callback();
    },
  });
  return {
    logger: pino({ level: "warn" }, destination),
    lines: () =>
      raw
        .join("")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as { level: number; msg: string }),
  };
}

function createPublisher(overrides: Partial<StatusPublisherOptions> = {}): StatusPublisher {
  const publisher = new StatusPublisher({
    redis,
    streamKey: keys.events,
    spillKey: keys.eventsSpill,
    capacity: 1_000,
    maxBytes: 64_000_000,
    overflow: "drop-newest",
    maxLen: 100_000,
    batchSize: 100,
    logger: captureLogger().logger,
    retryDelayMs: 5,
    ...overrides,
  });
  publishers.push(publisher);
  return publisher;
}

/** A lifecycle event: the overflow strategy decides what happens to it at the bound. */
function lifecycleEvent(index: number): StatusEvent {
  const jobId = `job-${index}`;
  const at = Date.now();
  return {
    type: "started",
    jobId,
    function: "f",
    attempt: 1,
    parentId: null,
    rootId: jobId,
    workerId: "w",
    at,
    data: { startedAt: at, queueWaitMs: 0, deliveries: 1 },
  };
}

/** A droppable event: at the bound the oldest of them gives way, whatever the strategy. */
function logEvent(index: number, message = `message ${index}`): StatusEvent {
  const jobId = `job-${index}`;
  return {
    type: "log",
    jobId,
    function: "f",
    attempt: 1,
    parentId: null,
    rootId: jobId,
    workerId: "w",
    at: Date.now(),
    data: { level: "info", message },
  };
}

/** Every event in the status stream, oldest first, validated against the wire contract. */
async function streamEvents(): Promise<StatusEvent[]> {
  const entries = await redis.xrange(keys.events, "-", "+");
  return entries.map(([, fields]) => {
    expect(fields[0]).toBe(STATUS_EVENT_FIELD);
    return statusEventSchema.parse(JSON.parse(fields[1] ?? "null"));
  });
}

function jobIds(events: readonly StatusEvent[]): string[] {
  return events.map((event) =>
    "jobId" in event ? event.jobId : "instanceId" in event ? event.instanceId : (event.workerId ?? ""),
  );
}

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, offset) => `job-${from + offset}`);
}

/** XADD on a key holding a string fails with WRONGTYPE: a real, unwritable status stream. */
async function breakStream(): Promise<void> {
  await redis.set(keys.events, "not a stream");
}

async function repairStream(): Promise<void> {
  await redis.del(keys.events);
}

/** Publishes job-<from> up to job-<to - 1>; returns how many of those calls blocked. */
function publishRange(publisher: StatusPublisher, from: number, to: number): number {
  let blocked = 0;
  for (let index = from; index < to; index++) {
    if (publisher.publish(lifecycleEvent(index)) !== undefined) blocked += 1;
  }
  return blocked;
}

describe("StatusPublisher", () => {
  it("writes events in order, in the wire format, as they were when published", async () => {
    const publisher = createPublisher({ batchSize: 7 });
    const events = Array.from({ length: 50 }, (_, index) => lifecycleEvent(index));
    for (const event of events) expect(publisher.publish(event)).toBeUndefined();
    const original = structuredClone(events[0]);
    // Mutating after publish must not change what is written.
    if (events[0]?.type === "log") events[0].data.message = "mutated";

    await publisher.flush();

    const written = await streamEvents();
    expect(jobIds(written)).toEqual(range(0, 50));
    expect(written[0]).toEqual(original);
    expect(written[49]).toEqual(events[49]);
    expect(publisher.metrics()).toMatchObject({ written: 50, dropped: 0, buffered: 0, writeErrors: 0 });
  });

  it("writes large volumes in batches, one script call per batch", async () => {
    const publisher = createPublisher({ capacity: 5_000, batchSize: 500 });
    // A pass-through spy on the real client's script command (defined by the publisher).
    const calls = vi.spyOn(
      redis as unknown as Record<string, (...args: unknown[]) => unknown>,
      "upnext_append_events",
    );
    try {
      publishRange(publisher, 0, 2_000);
      await publisher.flush();
      expect(calls).toHaveBeenCalledTimes(4);
    } finally {
      calls.mockRestore();
    }
    expect(await redis.xlen(keys.events)).toBe(2_000);
    expect(publisher.metrics()).toMatchObject({ written: 2_000, dropped: 0 });
  });

  it("caps the stream with MAXLEN ~", async () => {
    const publisher = createPublisher({ capacity: 5_000, batchSize: 250, maxLen: 100 });
    publishRange(publisher, 0, 2_000);
    await publisher.flush();

    const length = await redis.xlen(keys.events);
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(2_000);
    const [last] = await redis.xrevrange(keys.events, "+", "-", "COUNT", 1);
    expect(JSON.parse(last?.[1][1] ?? "null")).toMatchObject({ jobId: "job-1999" });
  });

  describe("when the stream is not writable", () => {
    it("retries failed writes, keeps events in order and warns", async () => {
      const { logger, lines } = captureLogger();
      const publisher = createPublisher({ logger, batchSize: 3 });
      await breakStream();
      publishRange(publisher, 0, 10);
      await eventually(() => publisher.metrics().writeErrors >= 3, "repeated write errors");
      expect(publisher.metrics()).toMatchObject({ buffered: 10, written: 0, dropped: 0 });

      await repairStream();
      await publisher.flush();
      expect(jobIds(await streamEvents())).toEqual(range(0, 10));
      const writeWarnings = lines().filter((line) => line.msg.includes("not writable"));
      // Rate-limited: once per 30 s however many retries failed.
      expect(writeWarnings).toHaveLength(1);
      expect(writeWarnings[0]?.err).toMatchObject({
        message: expect.stringContaining("WRONGTYPE") as unknown,
      });
    });

    it("drop-oldest keeps the newest events and counts the drops", async () => {
      const publisher = createPublisher({ capacity: 10, batchSize: 4, overflow: "drop-oldest" });
      await breakStream();
      publishRange(publisher, 0, 15);
      expect(publisher.metrics()).toMatchObject({ buffered: 10, dropped: 5, fullness: 1 });
      await eventually(() => publisher.metrics().writeErrors >= 1, "a failed write");
      // Published while a retry may be in flight: evicting an in-flight event must still work.
      publishRange(publisher, 15, 20);

      await repairStream();
      await publisher.flush();
      expect(jobIds(await streamEvents())).toEqual(range(10, 20));
      expect(publisher.metrics()).toMatchObject({ written: 10, dropped: 10, buffered: 0 });
    });

    it("drop-newest keeps the oldest events and counts the drops", async () => {
      const publisher = createPublisher({ capacity: 10, batchSize: 4, overflow: "drop-newest" });
      await breakStream();
      expect(publishRange(publisher, 0, 15)).toBe(0);
      await eventually(() => publisher.metrics().writeErrors >= 1, "a failed write");
      publishRange(publisher, 15, 20);
      expect(publisher.metrics()).toMatchObject({ buffered: 10, dropped: 10 });

      await repairStream();
      await publisher.flush();
      expect(jobIds(await streamEvents())).toEqual(range(0, 10));
      expect(publisher.metrics()).toMatchObject({ written: 10, dropped: 10 });
    });

    it("block makes publishers wait, in order, until the buffer drains", async () => {
      const publisher = createPublisher({ capacity: 10, batchSize: 4, overflow: "block" });
      await breakStream();
      expect(publishRange(publisher, 0, 10)).toBe(0);

      const settled: number[] = [];
      const blocked = [10, 11].map((index) => {
        const result = publisher.publish(lifecycleEvent(index));
        if (result === undefined) throw new Error(`publish ${index} did not block`);
        return result.then(() => settled.push(index));
      });
      await eventually(() => publisher.metrics().writeErrors >= 2, "failed writes");
      expect(settled).toEqual([]);
      expect(publisher.metrics()).toMatchObject({ buffered: 10, blockedPublishers: 2, dropped: 0 });

      await repairStream();
      await Promise.all(blocked);
      expect(settled).toEqual([10, 11]);
      await publisher.flush();
      expect(jobIds(await streamEvents())).toEqual(range(0, 12));
      expect(publisher.metrics()).toMatchObject({ written: 12, dropped: 0, blockedPublishers: 0 });
    });

    it.each(["block", "spill", "drop-newest"] as const)(
      "%s: at the bound, progress/log events are dropped oldest first and lifecycle events kept",
      async (overflow) => {
        const { logger, lines } = captureLogger();
        const publisher = createPublisher({ capacity: 10, batchSize: 4, overflow, logger });
        await breakStream();
        expect(publishRange(publisher, 0, 4)).toBe(0);
        // Droppable events never wait, whatever the strategy.
        for (let index = 100; index < 120; index++)
          expect(publisher.publish(logEvent(index))).toBeUndefined();
        expect(publisher.metrics()).toMatchObject({ buffered: 10, droppedNonLifecycle: 14, dropped: 14 });
        // A lifecycle event takes the place of the oldest droppable one.
        expect(publisher.publish(lifecycleEvent(4))).toBeUndefined();
        expect(publisher.metrics()).toMatchObject({ buffered: 10, droppedNonLifecycle: 15 });
        expect(lines().filter((line) => line.msg.includes("dropping progress, log, metric"))).toHaveLength(1);

        await repairStream();
        await publisher.flush();
        expect(jobIds(await streamEvents())).toEqual([...range(0, 4), ...range(115, 120), "job-4"]);
        expect(publisher.metrics()).toMatchObject({
          written: 10,
          dropped: 15,
          buffered: 0,
          bufferedBytes: 0,
        });
      },
    );

    it("bounds the buffer in bytes as well as in entries", async () => {
      const publisher = createPublisher({ capacity: 1_000, maxBytes: 5_000, overflow: "block" });
      await breakStream();
      for (let index = 0; index < 50; index++) void publisher.publish(logEvent(index, "x".repeat(1_000)));
      const metrics = publisher.metrics();
      expect(metrics.bufferedBytes).toBeLessThanOrEqual(5_000);
      expect(metrics.buffered).toBeLessThan(5);
      expect(metrics.droppedNonLifecycle).toBe(50 - metrics.buffered);
      await repairStream();
      await publisher.flush();
      expect(jobIds(await streamEvents())).toEqual(range(50 - metrics.buffered, 50));
    });

    it("spill moves the overflow to the spill list and back once the stream recovers", async () => {
      const publisher = createPublisher({ capacity: 10, batchSize: 4, overflow: "spill" });
      await breakStream();
      publishRange(publisher, 0, 18);
      await eventually(() => publisher.metrics().spilled === 8, "8 spilled events");
      publishRange(publisher, 18, 25);
      await eventually(() => publisher.metrics().spilled === 15, "15 spilled events");
      expect(await redis.llen(keys.eventsSpill)).toBe(15);
      expect(publisher.metrics()).toMatchObject({ buffered: 10, dropped: 0 });

      await repairStream();
      await eventually(async () => (await redis.xlen(keys.events)) === 25, "every event in the stream");
      // Nothing failed while draining, so the spill order is preserved behind the buffer.
      expect(jobIds(await streamEvents())).toEqual(range(0, 25));
      await eventually(() => publisher.metrics().spillDrained === 15, "15 drained events");
      expect(await redis.llen(keys.eventsSpill)).toBe(0);
      expect(publisher.metrics()).toMatchObject({ written: 10, spilled: 15, spillDrained: 15, dropped: 0 });
    });

    it("spill falls back to dropping the newest events when the spill list is not writable", async () => {
      const publisher = createPublisher({ capacity: 10, batchSize: 4, overflow: "spill" });
      await breakStream();
      await redis.set(keys.eventsSpill, "not a list");
      publishRange(publisher, 0, 15);
      await eventually(() => publisher.metrics().dropped === 5, "5 dropped events");
      expect(publisher.metrics().spilled).toBe(0);

      await repairStream();
      await publisher.flush();
      expect(jobIds(await streamEvents())).toEqual(range(0, 10));
    });

    it("warns once when the buffer passes 90% full", async () => {
      const { logger, lines } = captureLogger();
      const publisher = createPublisher({ capacity: 10, overflow: "drop-newest", logger });
      await breakStream();
      publishRange(publisher, 0, 30);
      await eventually(() => publisher.metrics().writeErrors >= 1, "a failed write");

      const warnings = lines().filter((line) => line.msg.includes("% full"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: 40, capacity: 10, strategy: "drop-newest" });
      expect(warnings[0]?.fullness).toBeGreaterThanOrEqual(0.9);

      await repairStream();
      publishRange(publisher, 30, 40);
      await publisher.flush();
      expect(lines().filter((line) => line.msg.includes("% full"))).toHaveLength(1);
    });
  });

  it("drains entries another publisher spilled", async () => {
    const orphans = [lifecycleEvent(0), lifecycleEvent(1), lifecycleEvent(2)].map((event) =>
      JSON.stringify(event),
    );
    await redis.rpush(keys.eventsSpill, ...orphans);
    const publisher = createPublisher({ batchSize: 2 });
    expect(publisher.publish(lifecycleEvent(3))).toBeUndefined();

    await eventually(async () => (await redis.xlen(keys.events)) === 4, "orphaned events in the stream");
    // The buffer goes first; the spill list is drained once it is empty.
    expect(jobIds(await streamEvents())).toEqual(["job-3", "job-0", "job-1", "job-2"]);
    expect(publisher.metrics()).toMatchObject({ written: 1, spillDrained: 3, spilled: 0 });
    expect(await redis.exists(keys.eventsSpill)).toBe(0);
  });

  it("close() flushes, then drops later events without throwing", async () => {
    const { logger, lines } = captureLogger();
    const publisher = createPublisher({ logger, batchSize: 10 });
    publishRange(publisher, 0, 100);
    await publisher.close();

    expect(await redis.xlen(keys.events)).toBe(100);
    expect(publisher.publish(lifecycleEvent(100))).toBeUndefined();
    expect(publisher.publish(lifecycleEvent(101))).toBeUndefined();
    expect(publisher.metrics()).toMatchObject({ written: 100, dropped: 2, buffered: 0 });
    expect(lines().filter((line) => line.msg.includes("after the status publisher was closed"))).toHaveLength(
      1,
    );
    await publisher.flush();
    expect(await redis.xlen(keys.events)).toBe(100);
  });

  it("close() spills what it could not write in time and rejects pending flushes", async () => {
    const strategies: OverflowStrategy[] = ["drop-newest", "block"];
    for (const overflow of strategies) {
      await redis.del(keys.eventsSpill);
      const publisher = createPublisher({ capacity: 5, batchSize: 2, overflow });
      await breakStream();
      publishRange(publisher, 0, 5);
      const blocked = publisher.publish(lifecycleEvent(5));
      // The expectation is attached now: the rejection happens inside close().
      const flushRejected = expect(publisher.flush()).rejects.toThrow(/closed/);
      await eventually(() => publisher.metrics().writeErrors >= 1, "a failed write");

      await publisher.close(50);
      await flushRejected;
      await blocked;
      const expected = overflow === "block" ? 6 : 5;
      expect(publisher.metrics()).toMatchObject({ spilled: expected, buffered: 0, blockedPublishers: 0 });
      const spilled = await redis.lrange(keys.eventsSpill, 0, -1);
      expect(spilled.map((json) => (JSON.parse(json) as { jobId: string }).jobId)).toEqual(
        range(0, expected),
      );
    }
  });

  it("drops a non-serialisable event without throwing", async () => {
    const { logger, lines } = captureLogger();
    const publisher = createPublisher({ logger });
    const event = logEvent(0);
    if (event.type === "log") event.data.fields = { big: 1n };

    expect(publisher.publish(event)).toBeUndefined();
    expect(publisher.publish(lifecycleEvent(1))).toBeUndefined();
    await publisher.flush();

    expect(jobIds(await streamEvents())).toEqual(["job-1"]);
    expect(publisher.metrics()).toMatchObject({ written: 1, dropped: 1 });
    expect(lines().filter((line) => line.msg.includes("not JSON-serialisable"))).toHaveLength(1);
  });
});
