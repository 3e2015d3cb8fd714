/**
 * The APIs overview and a route's detail (docs/http-apis.md): live instances from the Redis
 * registry, figures from the stored minutes. A route shows up when a live instance declares it
 * or when it had requests in the window, so a route nobody calls is still listed (with zeros).
 */
import type {
  ApiInstance,
  ApiInstanceSummary,
  ApiRequest,
  ApiRouteDetail,
  ApiRouteSummary,
  ApiSummary,
} from "@upnext/core";
import type { Kysely } from "kysely";
import { isoTime } from "../lib/iso-time.js";
import { apiNamesSince, routeMinuteRows } from "../store/api-queries.js";
import type { ApiRequestsTable, HistorySchema } from "../store/schema.js";
import { FiguresAccumulator, figuresByBucket } from "./api-figures.js";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

const routeKey = (method: string, route: string): string => `${method} ${route}`;

function instanceSummary(instance: ApiInstance, onlineSince: number): ApiInstanceSummary {
  return {
    id: instance.id,
    version: instance.version,
    host: instance.host,
    pid: instance.pid,
    routes: instance.routes.length,
    startedAt: isoTime(instance.startedAt),
    lastSeenAt: isoTime(instance.lastSeen),
    online: instance.lastSeen >= onlineSince,
  };
}

export interface SummaryWindow {
  readonly from: number;
  readonly to: number;
  /** Heartbeats at or after this count as online. */
  readonly onlineSince: number;
}

/** Every API with a registered instance or stored minutes in the window, by name. */
export async function apiSummaries(
  db: Kysely<HistorySchema>,
  instances: readonly ApiInstance[],
  window: SummaryWindow,
): Promise<ApiSummary[]> {
  const names = new Set([
    ...instances.map((instance) => instance.api),
    ...(await apiNamesSince(db, window.from)),
  ]);
  const summaries: ApiSummary[] = [];
  for (const name of [...names].sort()) {
    const mine = instances.filter((instance) => instance.api === name);
    const rows = await routeMinuteRows(db, { api: name, from: window.from, to: window.to });
    const totals = new FiguresAccumulator();
    const byRoute = new Map<
      string,
      { method: string; route: string; declared: boolean; acc: FiguresAccumulator }
    >();
    const entry = (method: string, route: string) => {
      const key = routeKey(method, route);
      let found = byRoute.get(key);
      if (!found) {
        found = { method, route, declared: false, acc: new FiguresAccumulator() };
        byRoute.set(key, found);
      }
      return found;
    };
    for (const instance of mine) {
      if (instance.lastSeen < window.onlineSince) continue;
      for (const { method, route } of instance.routes) entry(method, route).declared = true;
    }
    for (const row of rows) {
      entry(row.method, row.route).acc.add(row);
      totals.add(row);
    }
    const routes: ApiRouteSummary[] = [...byRoute.values()]
      .map(({ method, route, declared, acc }) => ({ method, route, declared, ...acc.figures() }))
      .sort((a, b) => a.route.localeCompare(b.route) || a.method.localeCompare(b.method));
    const summariesOfInstances = mine.map((instance) => instanceSummary(instance, window.onlineSince));
    summaries.push({
      name,
      instances: summariesOfInstances,
      online: summariesOfInstances.filter((instance) => instance.online).length,
      window: { from: isoTime(window.from), to: isoTime(window.to) },
      totals: totals.figures(),
      routes,
    });
  }
  return summaries;
}

/** One route: its figures over `hours`, per minute over the last hour and per hour over `hours`. */
export async function apiRouteDetail(
  db: Kysely<HistorySchema>,
  target: { readonly api: string; readonly method: string; readonly route: string },
  hours: number,
  now: number,
): Promise<ApiRouteDetail> {
  const to = now;
  const from = Math.floor(now / HOUR_MS) * HOUR_MS - (hours - 1) * HOUR_MS;
  const rows = await routeMinuteRows(db, { ...target, from, to: to + MINUTE_MS });
  const figures = new FiguresAccumulator();
  for (const row of rows) figures.add(row);
  const lastHourFrom = Math.floor(now / MINUTE_MS) * MINUTE_MS - 59 * MINUTE_MS;
  const point = ({
    at,
    figures: values,
  }: {
    at: number;
    figures: ReturnType<FiguresAccumulator["figures"]>;
  }) => ({
    at: isoTime(at),
    ...values,
  });
  return {
    ...target,
    window: { from: isoTime(from), to: isoTime(to) },
    figures: figures.figures(),
    minutes: figuresByBucket(
      rows.filter((row) => row.minute >= lastHourFrom),
      lastHourFrom,
      lastHourFrom + 60 * MINUTE_MS,
      MINUTE_MS,
    ).map(point),
    hours: figuresByBucket(rows, from, from + hours * HOUR_MS, HOUR_MS).map(point),
  };
}

export function toApiRequest(row: ApiRequestsTable): ApiRequest {
  return {
    id: row.id,
    api: row.api,
    instanceId: row.instance_id,
    method: row.method,
    route: row.route,
    status: row.status,
    durationMs: row.duration_ms,
    requestId: row.request_id,
    traceId: row.trace_id,
    reason: row.reason,
    at: isoTime(row.at),
  };
}
