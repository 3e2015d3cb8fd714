import { loadConfig, type JobEvent } from "@upnext/core";
import { Worker } from "upnext";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SseClient } from "./helpers/sse-client.js";
import { REDIS_URL } from "./helpers/app.js";
import { type StreamApp, jobEvent, startStreamApp } from "./helpers/stream-app.js";

/** The ring keeps 3 entries; a resume may read back at most 8 from the stream. */
const RING = 3;
const RESUME_MAX = 8;

function jobIds(client: SseClient): string[] {
  return client.ofType("job").map((message) => (JSON.parse(message.data) as JobEvent).jobId);
}

describe("resuming a stream by Last-Event-ID", () => {
  let server: StreamApp;
  beforeAll(async () => {
    server = await startStreamApp({
      label: "sse-resume",
      hub: { ringMaxEntries: RING, resumeMaxEntries: RESUME_MAX },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  /** Connects, receives `count` events, disconnects; returns the client's last id. */
  async function receiveThenLeave(fn: string, count: number): Promise<string> {
    const client = await SseClient.open(`${server.base}/api/v1/jobs/stream?function=${fn}`);
    await client.take("ready", 1);
    for (let index = 0; index < count; index++) {
      await server.publish(jobEvent({ jobId: `${fn}-before-${index}`, function: fn }));
    }
    await client.take("job", count);
    client.close();
    return client.lastEventId;
  }

  async function publishMany(fn: string, prefix: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let index = 0; index < count; index++) {
      ids.push(await server.publish(jobEvent({ jobId: `${prefix}-${index}`, function: fn })));
    }
    // The hub has read them once its position reaches the last (so the ring holds what it holds).
    const last = ids[ids.length - 1] ?? "";
    await server.until((stats) => stats.position === last, "the hub to read the events");
    return ids;
  }

  it("replays from the in-memory ring what was missed, then continues live, without duplicates", async () => {
    const lastSeen = await receiveThenLeave("fn.ring", 2);
    const missed = await publishMany("fn.ring", "missed", RING - 1);
    const client = await SseClient.open(`${server.base}/api/v1/jobs/stream?function=fn.ring`, {
      "last-event-id": lastSeen,
    });
    await client.take("ready", 1);
    expect(client.ofType("job").map((message) => message.id)).toEqual(missed);
    const live = await server.publish(jobEvent({ jobId: "live", function: "fn.ring" }));
    await client.take("job", RING);
    expect(client.ofType("job").map((message) => message.id)).toEqual([...missed, live]);
    expect(client.ofType("reset")).toHaveLength(0);
    client.close();
  });

  it("reads back from the stream (XRANGE) when the ring no longer covers the id", async () => {
    const lastSeen = await receiveThenLeave("fn.range", 1);
    // More than the ring holds (other functions' events fill it too), fewer than the resume limit.
    const missed = await publishMany("fn.range", "range", RESUME_MAX - 2);
    await publishMany("fn.noise", "noise", 1);
    // ?lastEventId= does what the header does (for a first connect that resumes).
    const client = await SseClient.open(
      `${server.base}/api/v1/jobs/stream?function=fn.range&lastEventId=${lastSeen}`,
    );
    await client.take("ready", 1);
    expect(client.ofType("job").map((message) => message.id)).toEqual(missed);
    expect(jobIds(client)).toEqual(missed.map((_, index) => `range-${index}`));
    expect(client.ofType("reset")).toHaveLength(0);
    client.close();
  });

  it("sends event: reset when more happened since the id than a resume replays", async () => {
    const lastSeen = await receiveThenLeave("fn.far", 1);
    await publishMany("fn.far", "far", RESUME_MAX + 1);
    const client = await SseClient.open(`${server.base}/api/v1/jobs/stream?function=fn.far`, {
      "last-event-id": lastSeen,
    });
    const [reset] = await client.take("reset", 1);
    expect((JSON.parse(reset?.data ?? "{}") as { reason: string }).reason).toContain("refetch");
    // The reset carries the current position; the stream goes on live from there.
    expect(reset?.id).toBe(server.hub.stats().position);
    expect(client.ofType("job")).toHaveLength(0);
    const live = await server.publish(jobEvent({ jobId: "after-reset", function: "fn.far" }));
    const [message] = await client.take("job", 1);
    expect(message?.id).toBe(live);
    client.close();
  });

  it("sends event: reset when the stream no longer holds the id (trimmed)", async () => {
    const lastSeen = await receiveThenLeave("fn.trim", 1);
    await publishMany("fn.trim", "trim", RING + 1);
    await server.redis.xdel(server.deps.keys.events, lastSeen);
    const client = await SseClient.open(`${server.base}/api/v1/jobs/stream?function=fn.trim`, {
      "last-event-id": lastSeen,
    });
    const [reset] = await client.take("reset", 1);
    expect((JSON.parse(reset?.data ?? "{}") as { reason: string }).reason).toContain(lastSeen);
    client.close();
  });
});

describe("a job followed live from a real worker", () => {
  let server: StreamApp;
  let worker: Worker;
  beforeAll(async () => {
    server = await startStreamApp({ label: "sse-worker" });
    worker = new Worker({
      name: "sse-e2e",
      namespace: server.namespace,
      handleSignals: false,
      config: loadConfig({ UPNEXT_REDIS_URL: REDIS_URL, UPNEXT_LOG_LEVEL: "silent" }, () => undefined),
    });
  });
  afterAll(async () => {
    await worker.stop();
    await server.close();
  });

  it("streams queued, started, progress and completed of the job, in stream order", async () => {
    const task = worker.task("sse.report", {}, (input: { steps: number }, ctx) => {
      for (let step = 1; step <= input.steps; step++) ctx.progress(step / input.steps);
      return input.steps;
    });
    await worker.start();
    const all = await SseClient.open(`${server.base}/api/v1/jobs/stream?function=sse.report`);
    await all.take("ready", 1);
    const ref = await task.submit({ steps: 2 });
    const one = await SseClient.open(`${server.base}/api/v1/jobs/${ref.id}/stream`, {
      // Resume from just before the job existed: the one-job stream replays what it missed.
      "last-event-id": all.ofType("ready")[0]?.id ?? "",
    });
    const seen = (type: string): boolean =>
      one.ofType("job").some((message) => (JSON.parse(message.data) as JobEvent).type === type);
    await one.until(() => seen("completed") && seen("queued"), "the completed and queued events");
    expect(await ref.result()).toBe(2);
    const types = one.ofType("job").map((message) => (JSON.parse(message.data) as JobEvent).type);
    // The producer writes `queued`, the worker the rest: only one writer's events keep their order.
    expect(types.filter((type) => type !== "queued")).toEqual([
      "started",
      "progress",
      "progress",
      "completed",
    ]);
    expect(types.filter((type) => type === "queued")).toHaveLength(1);
    expect(
      one.ofType("job").every((message) => (JSON.parse(message.data) as JobEvent).jobId === ref.id),
    ).toBe(true);
    // The unfiltered stream saw the same entries with the same ids.
    await all.take("job", types.length);
    expect(all.ofType("job").map((message) => message.id)).toEqual(
      one.ofType("job").map((message) => message.id),
    );
    all.close();
    one.close();
  });
});
