/**
 * Retention of HTTP API history on both dialects: per-minute route rows and sampled requests older
 * than the history window are deleted by the retention sweep; younger ones stay.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DialectName } from "../src/store/database.js";
import type { ApiRequestsTable, ApiRouteMinutesTable } from "../src/store/schema.js";
import { startRetention } from "../src/sweeps/retention-sweep.js";
import { DIALECTS } from "./helpers/database.js";
import { type IngestHarness, createIngestHarness } from "./helpers/ingest.js";

const MINUTE = 60_000;
const DAY = 86_400_000;
const NOW = 1_770_000_000_000;
const RETENTION = 7 * DAY;
const CUTOFF = NOW - RETENTION;

function minuteRow(minute: number): ApiRouteMinutesTable {
  return {
    api: "shop",
    method: "GET",
    route: "/orders/:id",
    minute,
    instance_id: "shop-1",
    count: 3,
    s1xx: 0,
    s2xx: 2,
    s3xx: 0,
    s4xx: 0,
    s5xx: 1,
    duration_ms_total: 30,
    buckets: "[]",
  };
}

function requestRow(id: string, at: number): ApiRequestsTable {
  return {
    id,
    api: "shop",
    instance_id: "shop-1",
    method: "GET",
    route: "/orders/:id",
    status: 500,
    duration_ms: 12,
    request_id: null,
    trace_id: null,
    reason: "failed",
    at,
  };
}

describe.each(DIALECTS)("API history retention on %s", (dialect: DialectName) => {
  let harness: IngestHarness;

  beforeAll(async () => {
    harness = await createIngestHarness(dialect, `api_retention_${dialect}`);
    const { db } = harness.database.database;
    // Two minutes before the cutoff (the second starts exactly one minute before it), the
    // cutoff minute itself and one inside the window.
    await db
      .insertInto("api_route_minutes")
      .values([CUTOFF - 2 * MINUTE, CUTOFF - MINUTE, CUTOFF, NOW - MINUTE].map(minuteRow))
      .execute();
    await db
      .insertInto("api_requests")
      .values([
        requestRow("old-1", CUTOFF - DAY),
        requestRow("old-2", CUTOFF - 1),
        requestRow("edge", CUTOFF),
        requestRow("young", NOW - MINUTE),
      ])
      .execute();
  });
  afterAll(async () => {
    await harness.close();
  });

  it("deletes route minutes and sampled requests older than the window and keeps the rest", async () => {
    const retention = startRetention(harness.deps, {
      retentionMs: RETENTION,
      firstRunDelayMs: 3_600_000,
      now: () => NOW,
    });
    await retention.runOnce();
    await retention.stop();

    const { db } = harness.database.database;
    const minutes = await db.selectFrom("api_route_minutes").select("minute").orderBy("minute").execute();
    expect(minutes.map((row) => row.minute)).toEqual([CUTOFF, NOW - MINUTE]);
    const requests = await db.selectFrom("api_requests").select("id").orderBy("at").execute();
    expect(requests.map((row) => row.id)).toEqual(["edge", "young"]);
  });
});
