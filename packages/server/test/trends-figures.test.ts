/**
 * Trend buckets carry the same figures as a window's stats (mean run time, mean queue wait), per
 * hour, from the rollups: the dashboard's queue-wait chart reads them.
 */
import { type JobTrends, jobTrendsSchema } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, createTestApp } from "./helpers/app.js";
import { DIALECTS } from "./helpers/database.js";
import { HOUR_MS, hourOf, insertRollups } from "./helpers/seed-history.js";

describe.each(DIALECTS)("trend figures on %s", (dialect) => {
  let test: TestApp;
  let hour: number;

  beforeAll(async () => {
    test = await createTestApp({ dialect, label: "trend-figures" });
    hour = hourOf(Date.now());
    const row = (
      bucket: number,
      fn: string,
      outcome: "started" | "complete",
      count: number,
      total: number,
    ) => ({
      bucket,
      function: fn,
      outcome,
      count,
      durationMsTotal: outcome === "complete" ? total : 0,
      queueWaitMsTotal: outcome === "started" ? total : 0,
    });
    await insertRollups(test.database.database.db, [
      row(hour, "email.send", "started", 4, 400),
      row(hour, "email.send", "complete", 2, 3_000),
      row(hour, "report.build", "started", 1, 1_100),
      row(hour - 2 * HOUR_MS, "email.send", "started", 2, 50),
    ]);
  });
  afterAll(async () => {
    await test.close();
  });

  it("gives each hour its mean queue wait and run time, null for an hour without starts", async () => {
    const response = await test.app.inject({ method: "GET", url: "/api/v1/jobs/trends?hours=3" });
    expect(response.statusCode, response.body).toBe(200);
    const trends = jobTrendsSchema.parse(response.json<JobTrends>());
    expect(trends.buckets.map((bucket) => bucket.avgQueueWaitMs)).toEqual([25, null, 300]);
    expect(trends.buckets.map((bucket) => bucket.avgDurationMs)).toEqual([null, null, 1_500]);
  });

  it("narrows the figures to the functions asked for", async () => {
    const response = await test.app.inject({
      method: "GET",
      url: "/api/v1/jobs/trends?hours=1&function=report.build",
    });
    expect(response.json<JobTrends>().buckets[0]?.avgQueueWaitMs).toBe(1_100);
  });
});
