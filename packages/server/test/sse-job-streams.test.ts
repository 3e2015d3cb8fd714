import { apiErrorEnvelopeSchema, type JobEvent } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareStreamIds } from "../src/sse/stream-ids.js";
import { SseClient } from "./helpers/sse-client.js";
import { type StreamApp, jobEvent, startStreamApp } from "./helpers/stream-app.js";

function parsed(client: SseClient): JobEvent[] {
  return client.ofType("job").map((message) => JSON.parse(message.data) as JobEvent);
}

describe("job event streams", () => {
  let server: StreamApp;
  beforeAll(async () => {
    server = await startStreamApp({ label: "sse-jobs", hub: { heartbeatMs: 100 } });
  });
  afterAll(async () => {
    await server.close();
  });

  it("starts with the SSE headers, a retry hint and a ready event that carries the position", async () => {
    const client = await SseClient.open(`${server.base}/api/v1/jobs/stream`);
    expect(client.status).toBe(200);
    expect(client.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(client.headers["cache-control"]).toContain("no-cache");
    expect(client.headers["x-accel-buffering"]).toBe("no");
    expect(client.headers["x-request-id"]).toBeTruthy();
    const [ready] = await client.take("ready", 1);
    expect(client.retry).toBeGreaterThan(0);
    expect(ready?.id).toMatch(/^\d+-\d+$/);
    expect(JSON.parse(ready?.data ?? "")).toEqual({ reason: "connected" });
    client.close();
  });

  it("delivers every job event with the stream entry id as the message id, in order", async () => {
    const client = await SseClient.open(`${server.base}/api/v1/jobs/stream`);
    await client.take("ready", 1);
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      ids.push(await server.publish(jobEvent({ jobId: `all-${index}`, function: "fn.all" })));
    }
    const messages = await client.take("job", 5);
    expect(messages.map((message) => message.id)).toEqual(ids);
    expect(parsed(client).map((event) => event.jobId)).toEqual(["all-0", "all-1", "all-2", "all-3", "all-4"]);
    client.close();
  });

  it("filters by function (several), by job, by tree and by type", async () => {
    const byFunction = await SseClient.open(`${server.base}/api/v1/jobs/stream?function=fn.a&function=fn.b`);
    const byComma = await SseClient.open(`${server.base}/api/v1/jobs/stream?function=fn.a,fn.c`);
    const byJob = await SseClient.open(`${server.base}/api/v1/jobs/job-2/stream`);
    const byJobFilter = await SseClient.open(`${server.base}/api/v1/jobs/stream?jobId=job-2`);
    const byTree = await SseClient.open(`${server.base}/api/v1/jobs/stream?rootId=root-1`);
    const byTypeAndFunction = await SseClient.open(
      `${server.base}/api/v1/jobs/stream?function=fn.a&type=completed`,
    );
    const clients = [byFunction, byComma, byJob, byJobFilter, byTree, byTypeAndFunction];
    for (const client of clients) await client.take("ready", 1);

    await server.publish(jobEvent({ jobId: "job-1", function: "fn.a", rootId: "root-1" }));
    await server.publish(jobEvent({ jobId: "job-2", function: "fn.b", rootId: "root-1", parentId: "job-1" }));
    await server.publish(jobEvent({ jobId: "job-3", function: "fn.c" }));
    await server.publish(
      jobEvent({
        jobId: "job-1",
        function: "fn.a",
        rootId: "root-1",
        type: "completed",
        data: { result: 1, durationMs: 5 },
      }),
    );
    // A marker every unfiltered stream sees last, so "nothing more arrived" is not a guess.
    const marker = await server.publish(jobEvent({ jobId: "job-2", function: "fn.a", rootId: "root-1" }));

    // Heartbeats carry the position, so once a client's last id reaches the marker, everything
    // before it that matched its filter has been delivered: what is missing was filtered out.
    for (const client of clients) {
      await client.until(
        () => compareStreamIds(client.lastEventId || "0-0", marker) >= 0,
        "the marker position",
      );
    }
    expect(parsed(byFunction).map((event) => event.jobId)).toEqual(["job-1", "job-2", "job-1", "job-2"]);
    expect(parsed(byComma).map((event) => event.jobId)).toEqual(["job-1", "job-3", "job-1", "job-2"]);
    for (const client of [byJob, byJobFilter]) {
      expect(parsed(client).map((event) => `${event.jobId}/${event.function}`)).toEqual([
        "job-2/fn.b",
        "job-2/fn.a",
      ]);
    }
    expect(parsed(byTree).map((event) => event.jobId)).toEqual(["job-1", "job-2", "job-1", "job-2"]);
    expect(parsed(byTypeAndFunction).map((event) => event.type)).toEqual(["completed"]);
    for (const client of clients) client.close();
  });

  it("sends no worker events and skips entries that are not valid status events", async () => {
    const client = await SseClient.open(`${server.base}/api/v1/jobs/stream`);
    await client.take("ready", 1);
    await server.publish({
      type: "worker.heartbeat",
      workerId: "w",
      at: Date.now(),
      data: { active: 0, held: 0, completed: 0, failed: 0 },
    });
    await server.redis.xadd(server.deps.keys.events, "*", "e", "{not json");
    await server.publish({ type: "progress", jobId: "no-function" });
    const last = await server.publish(jobEvent({ jobId: "valid", function: "fn.v" }));
    const [message] = await client.take("job", 1);
    expect(message?.id).toBe(last);
    expect(client.ofType("job")).toHaveLength(1);
    client.close();
  });

  it("keeps the resume position moving with heartbeats while a filter matches nothing", async () => {
    const client = await SseClient.open(`${server.base}/api/v1/jobs/stream?function=fn.never`);
    await client.take("ready", 1);
    const unrelated = await server.publish(jobEvent({ jobId: "other", function: "fn.other" }));
    await client.until(() => client.lastEventId === unrelated, "a heartbeat carrying the new position");
    expect(client.comments).toContain("heartbeat");
    expect(client.ofType("job")).toHaveLength(0);
    client.close();
  });

  it("answers bad parameters with 400 naming them, before the stream starts", async () => {
    const cases: [string, string][] = [
      ["/api/v1/jobs/stream?function=bad%20name", "function"],
      ["/api/v1/jobs/stream?type=exploded", "type"],
      ["/api/v1/jobs/stream?jobId=" + "x".repeat(65), "jobId"],
      ["/api/v1/jobs/stream?rootId=a%7Bb", "rootId"],
      ["/api/v1/jobs/stream?lastEventId=yesterday", "lastEventId"],
      ["/api/v1/jobs/bad%20id/stream", "id"],
      ["/api/v1/jobs/trends/stream?hours=0", "hours"],
    ];
    for (const [path, parameter] of cases) {
      const client = await SseClient.open(`${server.base}${path}`);
      expect(client.status, path).toBe(400);
      const body = apiErrorEnvelopeSchema.parse(await client.json());
      expect(body.error.message, path).toContain(parameter);
    }
    const typeError = apiErrorEnvelopeSchema.parse(
      await (await SseClient.open(`${server.base}/api/v1/jobs/stream?type=exploded`)).json(),
    );
    expect(typeError.error.message).toContain('"exploded"');
    expect(typeError.error.message).toContain("completed");
    const header = await SseClient.open(`${server.base}/api/v1/jobs/stream`, { "last-event-id": "abc" });
    expect(header.status).toBe(400);
    expect(apiErrorEnvelopeSchema.parse(await header.json()).error.message).toContain("Last-Event-ID");
  });

  it("releases the subscription when the client disconnects", async () => {
    await server.until((stats) => stats.connections === 0, "earlier clients to be gone");
    const clients = await Promise.all(
      Array.from({ length: 5 }, () => SseClient.open(`${server.base}/api/v1/jobs/stream?rootId=gone`)),
    );
    for (const client of clients) await client.take("ready", 1);
    expect(server.hub.stats().jobSubscribers).toBe(5);
    for (const client of clients) client.close();
    await server.until((stats) => stats.connections === 0 && stats.jobSubscribers === 0, "cleanup");
  });
});

describe("job event streams behind a token", () => {
  let server: StreamApp;
  beforeAll(async () => {
    server = await startStreamApp({ label: "sse-auth", env: { UPNEXT_API_TOKEN: "s3cret" } });
  });
  afterAll(async () => {
    await server.close();
  });

  it("refuses a stream without the token and accepts ?token= (EventSource) or the header", async () => {
    const missing = await SseClient.open(`${server.base}/api/v1/jobs/stream`);
    expect(missing.status).toBe(401);
    expect(apiErrorEnvelopeSchema.parse(await missing.json()).error.code).toBe("unauthorized");
    const query = await SseClient.open(`${server.base}/api/v1/jobs/stream?token=s3cret`);
    expect(query.status).toBe(200);
    const header = await SseClient.open(`${server.base}/api/v1/workers/stream`, {
      authorization: "Bearer s3cret",
    });
    expect(header.status).toBe(200);
    const id = await server.publish(jobEvent({ jobId: "secret-job", function: "fn.s" }));
    const [message] = await query.take("job", 1);
    expect(message?.id).toBe(id);
    query.close();
    header.close();
  });
});
