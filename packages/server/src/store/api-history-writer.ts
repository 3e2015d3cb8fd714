/**
 * Applies HTTP request-tracking events (docs/http-apis.md) to the history, in one transaction
 * per batch. Both writes are idempotent, so an entry delivered twice changes nothing:
 * - `api.stats` carries an instance's cumulative figures for a minute, so a row is replaced,
 *   and only by a report with at least as many requests (a late older report loses);
 * - `api.request` rows are keyed by their status-stream entry id.
 */
import type { ApiEvent, ApiRequestEvent, ApiStatsEvent } from "@upnext/core";
import type { HistoryDatabase } from "./database.js";
import type { ApiRouteMinutesTable, ApiRequestsTable } from "./schema.js";
import { writeTransaction } from "./write-transaction.js";

export interface IngestedApiEvent {
  /** The status-stream entry id. */
  readonly id: string;
  readonly event: ApiEvent;
}

const MINUTE_COLUMNS = [
  "count",
  "s1xx",
  "s2xx",
  "s3xx",
  "s4xx",
  "s5xx",
  "duration_ms_total",
  "buckets",
] as const;

function minuteRows(event: ApiStatsEvent): ApiRouteMinutesTable[] {
  return event.data.routes.map((route) => ({
    api: event.api,
    method: route.method,
    route: route.route,
    minute: event.data.minute,
    instance_id: event.instanceId,
    count: route.count,
    s1xx: route.statuses["1xx"],
    s2xx: route.statuses["2xx"],
    s3xx: route.statuses["3xx"],
    s4xx: route.statuses["4xx"],
    s5xx: route.statuses["5xx"],
    duration_ms_total: route.durationMs,
    buckets: JSON.stringify(route.buckets),
  }));
}

function requestRow(id: string, event: ApiRequestEvent): ApiRequestsTable {
  const { data } = event;
  return {
    id,
    api: event.api,
    instance_id: event.instanceId,
    method: data.method,
    route: data.route,
    status: data.status,
    duration_ms: data.durationMs,
    request_id: data.requestId,
    trace_id: data.traceId,
    reason: data.reason,
    at: event.at,
  };
}

/** Writes a batch of API events; returns how many were applied. */
export async function writeApiBatch(
  database: HistoryDatabase,
  events: readonly IngestedApiEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  // The last report of a (route, minute, instance) in the batch is the one that counts.
  const minutes = new Map<string, ApiRouteMinutesTable>();
  const requests: ApiRequestsTable[] = [];
  for (const { id, event } of events) {
    if (event.type === "api.request") {
      requests.push(requestRow(id, event));
      continue;
    }
    for (const row of minuteRows(event)) {
      const key = JSON.stringify([row.api, row.method, row.route, row.minute, row.instance_id]);
      const previous = minutes.get(key);
      if (!previous || previous.count <= row.count) minutes.set(key, row);
    }
  }
  await writeTransaction(database, async (trx) => {
    for (const row of minutes.values()) {
      await trx
        .insertInto("api_route_minutes")
        .values(row)
        .onConflict((conflict) =>
          conflict
            .columns(["api", "method", "route", "minute", "instance_id"])
            .doUpdateSet((eb) =>
              Object.fromEntries(MINUTE_COLUMNS.map((column) => [column, eb.ref(`excluded.${column}`)])),
            )
            .where((eb) => eb(eb.ref("excluded.count"), ">=", eb.ref("api_route_minutes.count"))),
        )
        .execute();
    }
    if (requests.length > 0) {
      await trx
        .insertInto("api_requests")
        .values(requests)
        .onConflict((conflict) => conflict.column("id").doNothing())
        .execute();
    }
  });
  return events.length;
}
