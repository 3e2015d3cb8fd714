/** Reads of the HTTP request-tracking tables (docs/http-apis.md); aggregation is reports/api-figures.ts. */
import type { Kysely } from "kysely";
import type { ApiRequestsTable, ApiRouteMinutesTable, HistorySchema } from "./schema.js";

export interface MinuteFilter {
  readonly api?: string;
  readonly method?: string;
  readonly route?: string;
  /** Minutes starting at or after this (epoch ms). */
  readonly from: number;
  readonly to: number;
}

export function routeMinuteRows(
  db: Kysely<HistorySchema>,
  filter: MinuteFilter,
): Promise<ApiRouteMinutesTable[]> {
  let query = db
    .selectFrom("api_route_minutes")
    .selectAll()
    .where("minute", ">=", filter.from)
    .where("minute", "<", filter.to);
  if (filter.api !== undefined) query = query.where("api", "=", filter.api);
  if (filter.method !== undefined) query = query.where("method", "=", filter.method);
  if (filter.route !== undefined) query = query.where("route", "=", filter.route);
  return query.orderBy("minute").execute();
}

/** Every API name with stored minutes since `from`. */
export async function apiNamesSince(db: Kysely<HistorySchema>, from: number): Promise<string[]> {
  const rows = await db
    .selectFrom("api_route_minutes")
    .select("api")
    .distinct()
    .where("minute", ">=", from)
    .execute();
  return rows.map((row) => row.api);
}

export interface RequestFilter {
  readonly api?: string;
  readonly method?: string;
  readonly route?: string;
  readonly reason?: ApiRequestsTable["reason"];
  readonly limit: number;
}

/** The most recent sampled requests, newest first. */
export function recentRequests(
  db: Kysely<HistorySchema>,
  filter: RequestFilter,
): Promise<ApiRequestsTable[]> {
  let query = db.selectFrom("api_requests").selectAll();
  if (filter.api !== undefined) query = query.where("api", "=", filter.api);
  if (filter.method !== undefined) query = query.where("method", "=", filter.method);
  if (filter.route !== undefined) query = query.where("route", "=", filter.route);
  if (filter.reason !== undefined) query = query.where("reason", "=", filter.reason);
  return query.orderBy("at", "desc").orderBy("id", "desc").limit(filter.limit).execute();
}
