import { type DashboardSummary, type JobTrends, dashboardSummarySchema } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerReadSnapshots } from "../src/reports/snapshot-sources.js";
import { DIALECTS } from "./helpers/database.js";
import { HOUR_MS, hourOf, insertRollups } from "./helpers/seed-history.js";
import { SseClient } from "./helpers/sse-client.js";
import { type StreamApp, startStreamApp } from "./helpers/stream-app.js";

/** The bucket of the seeded hour (not the last one: the hour may turn during the test). */
function seededBucket(trends: JobTrends, hour: number): JobTrends["buckets"][number] | undefined {
  return trends.buckets.find((bucket) => bucket.start === new Date(hour).toISOString());
}

function lastSnapshot(client: SseClient): unknown {
  return (JSON.parse(client.ofType("snapshot").at(-1)?.data ?? "{}") as { snapshot: unknown }).snapshot;
}

describe.each(DIALECTS)("the dashboard and trends streams on %s", (dialect) => {
  let server: StreamApp;
  const now = Date.now();
  beforeAll(async () => {
    server = await startStreamApp({
      label: `sse-read-${dialect}`,
      dialect,
      hub: { trendsIntervalMs: 30, dashboardIntervalMs: 30 },
    });
    registerReadSnapshots(server.hub, server.deps);
    const fnA = [
      { bucket: hourOf(now), function: "fn.a", outcome: "complete", count: 3, durationMsTotal: 300 },
      { bucket: hourOf(now), function: "fn.a", outcome: "failed", count: 1 },
    ] as const;
    // The last hour (the summary's default window) reads the minute rollups.
    await insertRollups(server.database.database.db, fnA, "job_rollups_minute");
    await insertRollups(server.database.database.db, [
      ...fnA,
      {
        bucket: hourOf(now) - 2 * HOUR_MS,
        function: "fn.b",
        outcome: "complete",
        count: 2,
        durationMsTotal: 20,
      },
    ]);
  });
  afterAll(async () => {
    await server.close();
  });

  it("sends the trends GET /api/v1/jobs/trends answers, for the stream's parameters, and follows changes", async () => {
    const client = await SseClient.open(`${server.base}/api/v1/jobs/trends/stream?hours=3&function=fn.a`);
    await client.take("snapshot", 1);
    const rest = await server.app.inject({ method: "GET", url: "/api/v1/jobs/trends?hours=3&function=fn.a" });
    expect(rest.statusCode).toBe(200);
    const streamed = lastSnapshot(client) as JobTrends;
    const answered = rest.json<JobTrends>();
    expect(streamed.functions).toEqual(["fn.a"]);
    expect(streamed.buckets).toHaveLength(3);
    expect(seededBucket(streamed, hourOf(now))).toEqual(seededBucket(answered, hourOf(now)));
    expect(seededBucket(streamed, hourOf(now))?.counts.complete).toBe(3);

    await server.database.database.db
      .updateTable("job_rollups")
      .set({ count: 5 })
      .where("bucket", "=", hourOf(now))
      .where("function", "=", "fn.a")
      .where("outcome", "=", "complete")
      .execute();
    await client.until(
      () => seededBucket(lastSnapshot(client) as JobTrends, hourOf(now))?.counts.complete === 5,
      "a snapshot with the new rollups",
    );
    client.close();
  });

  it("sends the dashboard summary GET /api/v1/dashboard/summary answers", async () => {
    const client = await SseClient.open(`${server.base}/api/v1/dashboard/stream`);
    await client.take("snapshot", 1);
    const streamed = dashboardSummarySchema.parse(lastSnapshot(client));
    const rest = await server.app.inject({ method: "GET", url: "/api/v1/dashboard/summary" });
    const answered = rest.json<DashboardSummary>();
    expect(streamed.workers).toEqual(answered.workers);
    expect(streamed.last24h.counts).toEqual(answered.last24h.counts);
    expect(streamed.runbook.failingFunctions.map((row) => [row.function, row.failed])).toEqual([["fn.a", 1]]);
    client.close();
  });
});
