import { apiErrorEnvelopeSchema, type ArtifactEvent, type WorkerSummary } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DependencyUnavailableError } from "../src/connections/circuit-breaker.js";
import type { SnapshotParams } from "../src/sse/snapshot-channels.js";
import { SseClient } from "./helpers/sse-client.js";
import { type StreamApp, startStreamApp } from "./helpers/stream-app.js";

interface Counted {
  readonly call: number;
  readonly params: SnapshotParams;
}

function snapshots(client: SseClient): Counted[] {
  return client
    .ofType("snapshot")
    .map((message) => (JSON.parse(message.data) as { snapshot: Counted }).snapshot);
}

/** Opens `count` streams on `path` from a few client addresses (the per-client cap is 20). */
async function openMany(server: StreamApp, path: string, count: number): Promise<SseClient[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      SseClient.open(`${server.base}${path}`, {}, `127.0.0.${1 + (index % 4)}`),
    ),
  );
}

describe("snapshot streams", () => {
  let server: StreamApp;
  let dashboardCalls = 0;
  /** Computations per set of trend parameters. */
  const trendCalls = new Map<string, number>();
  let trendsFailure: Error | undefined;

  beforeAll(async () => {
    server = await startStreamApp({
      label: "sse-snapshots",
      hub: {
        // The dashboard is recomputed at most hourly here: every subscriber shares one result.
        dashboardIntervalMs: 3_600_000,
        trendsIntervalMs: 30,
        snapshots: {
          dashboard: (params) => {
            dashboardCalls += 1;
            return Promise.resolve({ call: dashboardCalls, params });
          },
          jobTrends: (params) => {
            if (trendsFailure) return Promise.reject(trendsFailure);
            const key = JSON.stringify(params);
            const call = (trendCalls.get(key) ?? 0) + 1;
            trendCalls.set(key, call);
            return Promise.resolve({ call, params });
          },
        },
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("computes a snapshot once for every subscriber of its key within an interval", async () => {
    const clients = await openMany(server, "/api/v1/dashboard/stream", 20);
    for (const client of clients) await client.take("ready", 1);
    expect(dashboardCalls).toBe(1);
    for (const client of clients) {
      const [message] = client.ofType("snapshot");
      expect(message?.id).toMatch(/^\d+-\d+$/);
      const data = JSON.parse(message?.data ?? "{}") as { at: string; snapshot: Counted };
      expect(data.at).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
      expect(data.snapshot.call).toBe(1);
    }
    for (const client of clients) client.close();
  });

  it("recomputes once per interval for all subscribers, and per set of parameters", async () => {
    const day = await openMany(server, "/api/v1/jobs/trends/stream?hours=24", 10);
    const week = await openMany(server, "/api/v1/jobs/trends/stream?hours=168&function=fn.a", 10);
    const clients = [...day, ...week];
    for (const client of clients)
      await client.until(() => client.ofType("snapshot").length >= 4, "4 snapshots");
    for (const client of clients) client.close();
    // Each computation of a key went to every subscriber of that key: a subscriber receives
    // consecutive computations, never a gap where one was made for some other client alone.
    for (const [group, params] of [
      [day, { hours: 24 }],
      [week, { hours: 168, functions: ["fn.a"] }],
    ] as const) {
      for (const client of group) {
        const received = snapshots(client);
        for (const snapshot of received) expect(snapshot.params).toEqual(params);
        const calls = received.map((snapshot) => snapshot.call);
        expect(calls).toEqual(calls.map((_, index) => (calls[0] ?? 0) + index));
      }
    }
  });

  it("sends event: error while the source fails and ready when it recovers, without caching the failure", async () => {
    const client = await SseClient.open(`${server.base}/api/v1/jobs/trends/stream?hours=12`);
    await client.take("ready", 1);
    trendsFailure = new DependencyUnavailableError("database", 1_000);
    const [error] = await client.take("error", 1);
    expect(JSON.parse(error?.data ?? "{}")).toMatchObject({
      code: "dependency_unavailable",
      dependency: "database",
    });
    // A new subscriber of an uncached key cannot get a first snapshot: 503 in the envelope.
    const refused = await SseClient.open(`${server.base}/api/v1/jobs/trends/stream?hours=13`);
    expect(refused.status).toBe(503);
    expect(apiErrorEnvelopeSchema.parse(await refused.json()).error.details).toEqual({
      dependency: "database",
    });
    const before = client.ofType("snapshot").length;
    trendsFailure = undefined;
    const readies = await client.take("ready", 2);
    expect(JSON.parse(readies[1]?.data ?? "{}")).toEqual({ reason: "recovered" });
    await client.until(() => client.ofType("snapshot").length > before, "a fresh snapshot");
    client.close();
  });

  it("answers 503 for a snapshot stream without a source", async () => {
    const bare = await startStreamApp({ label: "sse-nosource" });
    try {
      const client = await SseClient.open(`${bare.base}/api/v1/dashboard/stream`);
      expect(client.status).toBe(503);
      expect(apiErrorEnvelopeSchema.parse(await client.json()).error.code).toBe("dependency_unavailable");
    } finally {
      await bare.close();
    }
  });
});

describe("the workers stream", () => {
  let server: StreamApp;
  beforeAll(async () => {
    server = await startStreamApp({ label: "sse-workers", hub: { workersIntervalMs: 30 } });
  });
  afterAll(async () => {
    await server.close();
  });

  async function register(id: string): Promise<void> {
    const now = Date.now();
    await server.redis
      .multi()
      .hset(server.deps.keys.worker(id), {
        id,
        name: "w",
        host: "h",
        pid: "1",
        functions: JSON.stringify(["fn.a"]),
        concurrency: "4",
        active: "1",
        held: "1",
        completed: "3",
        failed: "0",
        startedAt: String(now),
        lastSeen: String(now),
      })
      .zadd(server.deps.keys.workers, now, id)
      .exec();
  }

  it("starts with the registry, relays worker events and sends a new snapshot when it changes", async () => {
    await register("w-1");
    const client = await SseClient.open(`${server.base}/api/v1/workers/stream`);
    const [first] = await client.take("snapshot", 1);
    const snapshot = (
      JSON.parse(first?.data ?? "{}") as { snapshot: { workers: WorkerSummary[]; total: number } }
    ).snapshot;
    expect(snapshot.workers.map((worker) => [worker.id, worker.online, worker.functions])).toEqual([
      ["w-1", true, ["fn.a"]],
    ]);
    expect(snapshot.total).toBe(1);

    const id = await server.publish({
      type: "worker.heartbeat",
      workerId: "w-1",
      at: Date.now(),
      data: { active: 2, held: 2, completed: 4, failed: 0 },
    });
    const [event] = await client.take("worker", 1);
    expect(event?.id).toBe(id);
    expect(JSON.parse(event?.data ?? "{}")).toMatchObject({ type: "worker.heartbeat", workerId: "w-1" });

    await server.redis
      .multi()
      .del(server.deps.keys.worker("w-1"))
      .zrem(server.deps.keys.workers, "w-1")
      .exec();
    await client.until(() => {
      const last = client.ofType("snapshot").at(-1);
      return (JSON.parse(last?.data ?? "{}") as { snapshot: { total: number } }).snapshot.total === 0;
    }, "a snapshot without the worker");
    client.close();
  });
});

describe("the artifacts stream of a job", () => {
  let server: StreamApp;
  beforeAll(async () => {
    server = await startStreamApp({ label: "sse-artifacts" });
  });
  afterAll(async () => {
    await server.close();
  });

  const notify = (type: ArtifactEvent["type"], jobId: string, id: string): Promise<number> =>
    server.redis.publish(
      server.deps.keys.artifactsChannel,
      JSON.stringify({
        type,
        jobId,
        artifact: {
          id,
          name: `${id}.csv`,
          contentType: "text/csv",
          size: 12,
          createdAt: new Date().toISOString(),
        },
      } satisfies ArtifactEvent),
    );

  function artifactIds(client: SseClient): string[] {
    return client
      .ofType("artifact")
      .map((message) => (JSON.parse(message.data) as ArtifactEvent).artifact.id);
  }

  it("relays the job's artifact notifications only, and resumes from its own ids", async () => {
    const client = await SseClient.open(`${server.base}/api/v1/jobs/job-a/artifacts/stream`);
    await client.take("ready", 1);
    await notify("artifact.created", "job-b", "other");
    await server.redis.publish(server.deps.keys.artifactsChannel, "not json");
    await notify("artifact.created", "job-a", "a-1");
    await client.take("artifact", 1);
    expect(artifactIds(client)).toEqual(["a-1"]);
    const lastSeen = client.lastEventId;
    client.close();

    await notify("artifact.deleted", "job-a", "a-1");
    await notify("artifact.created", "job-a", "a-2");
    const resumed = await SseClient.open(`${server.base}/api/v1/jobs/job-a/artifacts/stream`, {
      "last-event-id": lastSeen,
    });
    await resumed.take("artifact", 2);
    expect(
      resumed.ofType("artifact").map((message) => (JSON.parse(message.data) as ArtifactEvent).type),
    ).toEqual(["artifact.deleted", "artifact.created"]);
    resumed.close();

    // An id this process never sent (another replica's, or from before a restart): refetch.
    const foreign = await SseClient.open(`${server.base}/api/v1/jobs/job-a/artifacts/stream`, {
      "last-event-id": "1-5",
    });
    await foreign.take("reset", 1);
    foreign.close();
  });
});
