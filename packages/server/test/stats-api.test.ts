import { type JobStats, type JobTrends, jobStatsSchema, jobTrendsSchema } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApp, createTestApp } from "./helpers/app.js";
import { DIALECTS } from "./helpers/database.js";
import { errorOf, expectUnavailable, getOk } from "./helpers/api-requests.js";
import { type OutageApp, appWithDatabaseDown } from "./helpers/outage-apps.js";
import { HOUR_MS, type SeedRollup, hourOf, insertRollups } from "./helpers/seed-history.js";

/** Rollups for two functions in the current hour, 1 and 5 hours ago, and 30 hours ago (outside a day). */
function rollups(now: number): SeedRollup[] {
  const hour = hourOf(now);
  const rows: SeedRollup[] = [];
  const add = (bucket: number, fn: string, counts: Partial<Record<SeedRollup["outcome"], number>>): void => {
    for (const [outcome, count] of Object.entries(counts) as [SeedRollup["outcome"], number][]) {
      rows.push({
        bucket,
        function: fn,
        outcome,
        count,
        durationMsTotal: outcome === "complete" ? count * 100 : outcome === "failed" ? count * 999 : 0,
        queueWaitMsTotal: outcome === "started" ? count * 10 : 0,
      });
    }
  };
  add(hour, "email.send", { submitted: 10, started: 10, complete: 6, failed: 2, cancelled: 1, retried: 3 });
  add(hour - HOUR_MS, "email.send", { submitted: 4, started: 4, complete: 4 });
  add(hour - 5 * HOUR_MS, "report.build", { submitted: 5, started: 5, complete: 1, failed: 4 });
  add(hour - 30 * HOUR_MS, "email.send", { submitted: 100, started: 100, complete: 100 });
  add(hour, "only.cancelled", { submitted: 2, cancelled: 2 });
  return rows;
}

describe.each(DIALECTS)("stats and trends on %s", (dialect) => {
  let test: TestApp;
  let now: number;

  beforeAll(async () => {
    test = await createTestApp({ dialect, label: "stats-api" });
    now = Date.now();
    // Only rollups, no jobs: the figures cannot come from a scan of the jobs table.
    await insertRollups(test.database.database.db, rollups(now));
  });
  afterAll(async () => {
    await test.close();
  });

  const get = <T>(url: string): Promise<T> => getOk<T>(test.app, url);

  async function badRequest(url: string): Promise<string> {
    const response = await test.app.inject({ method: "GET", url });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
    return errorOf(response).message;
  }

  it("sums the last 24 hours by default, with the success rate over complete + failed only", async () => {
    const stats = await get<JobStats>("/api/v1/jobs/stats");
    jobStatsSchema.parse(stats);
    expect(stats.counts).toEqual({
      submitted: 21,
      started: 19,
      complete: 11,
      failed: 6,
      cancelled: 3,
      retried: 3,
    });
    expect(stats.runs).toBe(17);
    expect(stats.successRate).toBeCloseTo(11 / 17, 10);
    expect(stats.avgDurationMs).toBe(100);
    expect(stats.avgQueueWaitMs).toBe(10);
    expect(stats.window.from).toBe(new Date(hourOf(now - 24 * HOUR_MS)).toISOString());
    expect(stats.functions).toBeNull();
    expect(stats.byFunction).toBeNull();
  });

  it("narrows to functions, breaks down by function, and takes any window up to 31 days", async () => {
    const email = await get<JobStats>("/api/v1/jobs/stats?function=email.send");
    expect(email.counts.complete).toBe(10);
    expect(email.successRate).toBeCloseTo(10 / 12, 10);
    expect(email.functions).toEqual(["email.send"]);

    const by = await get<JobStats>("/api/v1/jobs/stats?by=function");
    expect(by.byFunction?.map((row) => row.function)).toEqual([
      "email.send",
      "report.build",
      "only.cancelled",
    ]);
    const cancelledOnly = by.byFunction?.find((row) => row.function === "only.cancelled");
    expect(cancelledOnly?.successRate).toBeNull();
    expect(cancelledOnly?.avgDurationMs).toBeNull();
    expect(by.byFunction?.find((row) => row.function === "report.build")?.successRate).toBe(0.2);

    const longer = await get<JobStats>(`/api/v1/jobs/stats?from=${now - 40 * HOUR_MS}&to=${now}`);
    expect(longer.counts.complete).toBe(111);
    const iso = await get<JobStats>(
      `/api/v1/jobs/stats?from=${new Date(hourOf(now) - 30 * HOUR_MS).toISOString()}&to=${new Date(hourOf(now) - 29 * HOUR_MS).toISOString()}`,
    );
    expect(iso.counts).toEqual({
      submitted: 100,
      started: 100,
      complete: 100,
      failed: 0,
      cancelled: 0,
      retried: 0,
    });
  });

  it("answers hourly trends, zero-filled, oldest first, ending with the current hour", async () => {
    const trends = await get<JobTrends>("/api/v1/jobs/trends?hours=6");
    jobTrendsSchema.parse(trends);
    expect(trends.buckets.length).toBe(6);
    const hour = hourOf(now);
    expect(trends.buckets.map((bucket) => bucket.start)).toEqual(
      [5, 4, 3, 2, 1, 0].map((back) => new Date(hour - back * HOUR_MS).toISOString()),
    );
    expect(trends.buckets.map((bucket) => bucket.counts.complete)).toEqual([1, 0, 0, 0, 4, 6]);
    expect(trends.buckets[1]?.successRate).toBeNull();
    expect(trends.buckets[0]?.successRate).toBe(0.2);

    const email = await get<JobTrends>("/api/v1/jobs/trends?hours=6&function=email.send");
    expect(email.buckets.map((bucket) => bucket.counts.complete)).toEqual([0, 0, 0, 0, 4, 6]);
    const day = await get<JobTrends>("/api/v1/jobs/trends");
    expect(day.buckets.length).toBe(24);
    const week = await get<JobTrends>("/api/v1/jobs/trends?hours=168");
    expect(week.buckets.reduce((sum, bucket) => sum + bucket.counts.complete, 0)).toBe(111);
    const past = await get<JobTrends>(`/api/v1/jobs/trends?hours=2&to=${hour - 29 * HOUR_MS}`);
    expect(past.buckets.map((bucket) => bucket.counts.complete)).toEqual([0, 100]);
  });

  it("answers 400 naming each bad parameter", async () => {
    expect(await badRequest("/api/v1/jobs/stats?by=worker")).toMatch(
      /querystring by: "worker" is not a grouping; allowed: function/,
    );
    expect(await badRequest("/api/v1/jobs/stats?function=no%20spaces")).toContain("querystring function");
    expect(await badRequest("/api/v1/jobs/stats?from=soon")).toContain("querystring from");
    expect(await badRequest("/api/v1/jobs/stats?to=-5")).toContain("querystring to");
    expect(await badRequest(`/api/v1/jobs/stats?from=${now}&to=${now - HOUR_MS}`)).toContain("`from`");
    expect(await badRequest(`/api/v1/jobs/stats?from=${now - 40 * 24 * HOUR_MS}`)).toContain("31 days");
    for (const hours of ["0", "169", "two", "1.5"]) {
      expect(await badRequest(`/api/v1/jobs/trends?hours=${hours}`), hours).toContain("querystring hours");
    }
    expect(await badRequest("/api/v1/jobs/trends?function=a,b%20c")).toContain("querystring function");
    expect(await badRequest("/api/v1/jobs/trends?to=tomorrow")).toContain("querystring to");
  });
});

describe.each(DIALECTS)("stats and trends with the database down on %s", (dialect) => {
  let down: OutageApp;
  beforeAll(async () => {
    down = await appWithDatabaseDown(dialect, "stats-api-down");
  });
  afterAll(async () => {
    await down.close();
  });

  it.each(["/api/v1/jobs/stats", "/api/v1/jobs/stats?by=function", "/api/v1/jobs/trends"])(
    "answers 503 dependency_unavailable for %s",
    async (url) => {
      expectUnavailable(await down.app.inject({ method: "GET", url }), "database", url);
    },
  );
});
