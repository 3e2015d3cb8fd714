import { STATUS_EVENT_FIELD, apiErrorEnvelopeSchema, type JobEvent } from "@upnext/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrivateRedis } from "../../upnext/test/helpers/private-redis.js";
import { SseClient } from "./helpers/sse-client.js";
import { type StreamApp, jobEvent, startStreamApp } from "./helpers/stream-app.js";

function jobIds(client: SseClient): string[] {
  return client.ofType("job").map((message) => (JSON.parse(message.data) as JobEvent).jobId);
}

/** Connections the PrivateRedis holds, by name, leaving out the one asking. */
async function connections(admin: Redis): Promise<string[]> {
  const list = (await admin.client("LIST")) as string;
  const self = String(await admin.client("ID"));
  return list
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith(`id=${self} `))
    .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? "");
}

describe("live streams across a Redis outage", () => {
  let redis: PrivateRedis;
  let server: StreamApp;
  let admin: Redis;
  /** Writes status events the way a worker's publisher does, waiting out the outage. */
  let writer: Redis;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    server = await startStreamApp({
      label: "sse-outage",
      redisUrl: redis.url,
      hub: { snapshots: { dashboard: () => Promise.resolve({ jobs: 0 }) } },
    });
    admin = new Redis(redis.url, { maxRetriesPerRequest: null });
    writer = new Redis(redis.url, { maxRetriesPerRequest: null });
    admin.on("error", () => undefined);
    writer.on("error", () => undefined);
  });
  afterAll(async () => {
    admin.disconnect();
    writer.disconnect();
    await server.close();
    await redis.stop();
  });

  const publish = async (event: object): Promise<string> =>
    (await writer.xadd(server.deps.keys.events, "*", STATUS_EVENT_FIELD, JSON.stringify(event))) ?? "";

  it("reads each Redis source on one connection however many subscribers there are", async () => {
    const before = await connections(admin);
    expect(before.filter((name) => name === "upnext-server-sse-status")).toHaveLength(1);
    expect(before.filter((name) => name === "upnext-server-sse-artifacts")).toHaveLength(1);
    const paths = [
      "/api/v1/jobs/stream",
      "/api/v1/jobs/stream?function=fn.a",
      "/api/v1/jobs/stream?rootId=root",
      "/api/v1/jobs/job-1/stream",
      "/api/v1/workers/stream",
      "/api/v1/jobs/job-1/artifacts/stream",
      "/api/v1/dashboard/stream",
    ];
    const clients = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        SseClient.open(
          `${server.base}${paths[index % paths.length] ?? ""}`,
          {},
          `127.0.0.${1 + (index % 5)}`,
        ),
      ),
    );
    for (const client of clients) await client.take("ready", 1);
    expect(server.hub.stats().connections).toBe(20);
    const during = await connections(admin);
    expect(during.length).toBe(before.length);
    const id = await publish(jobEvent({ jobId: "job-1", function: "fn.a", rootId: "root" }));
    // Every job stream (each filter matches this event) got it from the one reader.
    for (const client of clients.filter((_, index) => index % paths.length < 4)) {
      const [message] = await client.take("job", 1);
      expect(message?.id).toBe(id);
    }
    for (const client of clients) client.close();
    await server.until((stats) => stats.connections === 0, "every stream to close");
  });

  it("tells every subscriber when Redis goes away and comes back, and loses no event", async () => {
    const jobs = await SseClient.open(`${server.base}/api/v1/jobs/stream`);
    const workers = await SseClient.open(`${server.base}/api/v1/workers/stream`);
    const artifacts = await SseClient.open(`${server.base}/api/v1/jobs/job-9/artifacts/stream`);
    const dashboard = await SseClient.open(`${server.base}/api/v1/dashboard/stream`);
    const all = [jobs, workers, artifacts, dashboard];
    for (const client of all) await client.take("ready", 1);
    await publish(jobEvent({ jobId: "before-1", function: "fn.o" }));
    await publish(jobEvent({ jobId: "before-2", function: "fn.o" }));
    await jobs.take("job", 2);

    await redis.stop();
    for (const client of all) {
      const [error] = await client.take("error", 1);
      expect(JSON.parse(error?.data ?? "{}")).toMatchObject({
        code: "dependency_unavailable",
        dependency: "redis",
      });
    }
    // A new stream is refused while its source is away, in the envelope.
    const refused = await SseClient.open(`${server.base}/api/v1/jobs/stream`);
    expect(refused.status).toBe(503);
    const body = apiErrorEnvelopeSchema.parse(await refused.json());
    expect(body.error.code).toBe("dependency_unavailable");
    expect(body.error.details).toEqual({ dependency: "redis" });

    await redis.restart();
    for (const client of all) {
      const readies = await client.take("ready", 2);
      expect(JSON.parse(readies[1]?.data ?? "{}")).toEqual({ reason: "recovered" });
    }
    // Pub/sub kept nothing while away: the artifacts stream is told to refetch.
    await artifacts.take("reset", 1);

    const after = [
      await publish(jobEvent({ jobId: "after-1", function: "fn.o" })),
      await publish(jobEvent({ jobId: "after-2", function: "fn.o" })),
    ];
    await jobs.take("job", 4);
    expect(jobIds(jobs)).toEqual(["before-1", "before-2", "after-1", "after-2"]);
    expect(
      jobs
        .ofType("job")
        .slice(2)
        .map((message) => message.id),
    ).toEqual(after);
    for (const client of all) client.close();
  });

  it("resumes from the last id read when its connection drops while others write", async () => {
    const jobs = await SseClient.open(`${server.base}/api/v1/jobs/stream?function=fn.blip`);
    await jobs.take("ready", 1);
    await publish(jobEvent({ jobId: "blip-0", function: "fn.blip" }));
    await jobs.take("job", 1);
    const list = (await admin.client("LIST")) as string;
    const reader = /id=(\d+) [^\n]*name=upnext-server-sse-status/.exec(list)?.[1];
    expect(reader).toBeDefined();
    await admin.client("KILL", "ID", reader ?? "");
    // Written while the reader reconnects: the stream keeps them, the reader picks them up.
    for (let index = 1; index <= 3; index++)
      await publish(jobEvent({ jobId: `blip-${index}`, function: "fn.blip" }));
    await jobs.take("job", 4);
    expect(jobIds(jobs)).toEqual(["blip-0", "blip-1", "blip-2", "blip-3"]);
    expect(jobs.ofType("error").length).toBe(jobs.ofType("ready").length - 1);
    jobs.close();
  });
});
