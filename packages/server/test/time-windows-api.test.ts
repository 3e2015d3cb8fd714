/**
 * Time windows on both dialects: ingest keeps per-minute rollups next to the hourly ones; the
 * short windows (15m, 1h, 6h) answer in minute buckets, the long ones in hours; the overview's
 * rates are over the part of the window that has data; retention keeps a day of minute rollups.
 */
import {
  type DashboardSummary,
  HOUR_MS,
  type JobEvent,
  type JobStats,
  type JobTrends,
  MINUTE_MS,
  dashboardSummarySchema,
  jobTrendsSchema,
} from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRetention } from "../src/sweeps/retention-sweep.js";
import { writeBatch } from "../src/ingest/history-writer.js";
import { type TestApp, createTestApp } from "./helpers/app.js";
import { errorOf, getOk } from "./helpers/api-requests.js";
import { DIALECTS } from "./helpers/database.js";
import { completed, created, entryIds, started } from "./helpers/status-events.js";

/** The service began 4 minutes ago and submitted 5 jobs a second since (1,200 jobs). */
const SERVICE_AGE_MS = 4 * MINUTE_MS;
const PER_SECOND = 5;
const JOBS = (SERVICE_AGE_MS / 1000) * PER_SECOND;

describe.each(DIALECTS)("time windows on %s", (dialect) => {
  let test: TestApp;
  let firstAt: number;

  beforeAll(async () => {
    test = await createTestApp({ dialect, label: "time-windows" });
    const now = Date.now();
    firstAt = now - SERVICE_AGE_MS;
    const events: JobEvent[] = [];
    for (let index = 0; index < JOBS; index += 1) {
      const at = firstAt + Math.floor(index * (1000 / PER_SECOND));
      const job = {
        jobId: `tw-${dialect}-${index}`,
        function: index % 3 === 0 ? "resize-image" : "send-email",
      };
      events.push(created(job, at), started(job, 1, at + 1), completed(job, 1, at + 2));
    }
    const ids = entryIds(events.length, now);
    await writeBatch(
      test.database.database,
      events.map((event, index) => ({ id: ids[index] ?? "", event })),
    );
  });
  afterAll(async () => {
    await test.close();
  });

  it("keeps minute rollups that sum to the hourly ones", async () => {
    const db = test.database.database.db;
    const sum = async (table: "job_rollups" | "job_rollups_minute") =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.sum<number | string>("count").as("total"))
            .where("outcome", "=", "submitted")
            .executeTakeFirstOrThrow()
        ).total,
      );
    expect(await sum("job_rollups_minute")).toBe(JOBS);
    expect(await sum("job_rollups")).toBe(JOBS);
    const minutes = await db.selectFrom("job_rollups_minute").select("bucket").distinct().execute();
    // Four minutes of jobs touch four or five minute buckets, each on a minute boundary.
    expect(minutes.length).toBeGreaterThanOrEqual(4);
    expect(minutes.length).toBeLessThanOrEqual(5);
    for (const { bucket } of minutes) expect(bucket % MINUTE_MS).toBe(0);
  });

  it("answers the short windows in minute buckets and the long ones in hours", async () => {
    for (const [window, bucketMs, count] of [
      ["15m", MINUTE_MS, 15],
      ["1h", MINUTE_MS, 60],
      ["6h", MINUTE_MS, 360],
      ["24h", HOUR_MS, 24],
      ["7d", HOUR_MS, 168],
    ] as const) {
      const trends = await getOk<JobTrends>(test.app, `/api/v1/jobs/trends?window=${window}`);
      jobTrendsSchema.parse(trends);
      expect(trends.bucketMs, window).toBe(bucketMs);
      expect(trends.buckets, window).toHaveLength(count);
      const submitted = trends.buckets.reduce((total, bucket) => total + bucket.counts.submitted, 0);
      expect(submitted, window).toBe(JOBS);
      for (const bucket of trends.buckets) expect(Date.parse(bucket.start) % bucketMs).toBe(0);
    }
  });

  it("computes the overview's rates over the part of the window with data, and says where it starts", async () => {
    const before = Date.now();
    const summary = await getOk<DashboardSummary>(test.app, "/api/v1/dashboard/summary?window=24h");
    const after = Date.now();
    dashboardSummarySchema.parse(summary);
    expect(summary.windowName).toBe("24h");
    const rateFrom = Date.parse(summary.period.rateFrom);
    expect(rateFrom).toBe(Math.floor(firstAt / MINUTE_MS) * MINUTE_MS);
    expect(summary.period.counts.submitted).toBe(JOBS);
    // Averaged over the ~4-5 minutes since data began, not over 24 hours (which would be ~0.8/min).
    const slowest = JOBS / ((after - rateFrom) / MINUTE_MS);
    const fastest = JOBS / ((before - rateFrom) / MINUTE_MS);
    expect(summary.period.submittedPerMinute).toBeGreaterThanOrEqual(slowest);
    expect(summary.period.submittedPerMinute).toBeLessThanOrEqual(fastest);
    expect(summary.period.submittedPerMinute).toBeGreaterThan(200);
    expect(summary.lastHour.submittedPerMinute).toBeCloseTo(summary.period.submittedPerMinute, 0);
  });

  it("gives the window's stats from the minute rollups", async () => {
    const stats = await getOk<JobStats>(test.app, "/api/v1/jobs/stats?window=15m&function=resize-image");
    expect(stats.counts.submitted).toBe(Math.ceil(JOBS / 3));
    expect(stats.counts.complete).toBe(Math.ceil(JOBS / 3));
  });

  it("rejects an unknown window, and a window given with from/to, naming what is allowed", async () => {
    const unknown = await test.app.inject({ method: "GET", url: "/api/v1/jobs/trends?window=2h" });
    expect(unknown.statusCode).toBe(400);
    expect(errorOf(unknown).message).toMatch(/"2h" is not a time window; allowed: 15m, 1h, 6h, 24h, 7d/);
    const summary = await test.app.inject({ method: "GET", url: "/api/v1/dashboard/summary?window=1y" });
    expect(summary.statusCode).toBe(400);
    const both = await test.app.inject({
      method: "GET",
      url: "/api/v1/jobs/stats?window=1h&from=2026-01-01T00:00:00Z",
    });
    expect(both.statusCode).toBe(400);
    expect(errorOf(both).message).toMatch(/either `window` or `from`\/`to`/);
  });

  it("retention drops minute rollups older than a day and keeps the hourly ones", async () => {
    const db = test.database.database.db;
    const old = Math.floor((Date.now() - 2 * 24 * HOUR_MS) / MINUTE_MS) * MINUTE_MS;
    const row = {
      function: "old-fn",
      outcome: "submitted" as const,
      count: 7,
      duration_ms_total: 0,
      queue_wait_ms_total: 0,
    };
    await db
      .insertInto("job_rollups_minute")
      .values({ ...row, bucket: old })
      .execute();
    await db
      .insertInto("job_rollups")
      .values({ ...row, bucket: Math.floor(old / HOUR_MS) * HOUR_MS })
      .execute();
    const retention = startRetention(test.deps, { firstRunDelayMs: 60_000, retentionMs: 30 * 24 * HOUR_MS });
    try {
      await retention.runOnce();
    } finally {
      await retention.stop();
    }
    const minute = await db
      .selectFrom("job_rollups_minute")
      .select("count")
      .where("function", "=", "old-fn")
      .execute();
    const hourly = await db
      .selectFrom("job_rollups")
      .select("count")
      .where("function", "=", "old-fn")
      .execute();
    expect(minute).toEqual([]);
    expect(hourly.map((entry) => entry.count)).toEqual([7]);
    // The recent minutes stay.
    const recent = await db
      .selectFrom("job_rollups_minute")
      .select("bucket")
      .where("function", "=", "send-email")
      .execute();
    expect(recent.length).toBeGreaterThan(0);
  });
});
