/**
 * Per-route request figures of the current minutes, kept in process between two reports
 * (docs/http-apis.md). Recording is a few additions and one logarithm; a report takes the
 * cumulative figures of the routes that changed since the previous one (cumulative, so the
 * server can store them idempotently), and forgets minutes that are over once reported.
 */
import { LATENCY_BUCKETS, type ApiRouteMinute, latencyBucketOf, toSparseHistogram } from "@upnext/core";

const MINUTE_MS = 60_000;
/** Above this many distinct routes per minute, further ones count under OTHER_ROUTE. */
export const MAX_ROUTES = 1_000;
/** The route of requests no route template matched (404s): never the raw URL. */
export const UNMATCHED_ROUTE = "(unmatched)";
export const OTHER_ROUTE = "(other)";

class RouteMinute {
  count = 0;
  durationMs = 0;
  dirty = false;
  readonly statuses = [0, 0, 0, 0, 0];
  readonly histogram = new Array<number>(LATENCY_BUCKETS).fill(0);

  constructor(
    readonly method: string,
    readonly route: string,
  ) {}

  add(status: number, durationMs: number): void {
    this.count++;
    this.durationMs += durationMs;
    const statusClass = Math.min(4, Math.max(0, Math.floor(status / 100) - 1));
    this.statuses[statusClass] = (this.statuses[statusClass] ?? 0) + 1;
    const bucket = latencyBucketOf(durationMs);
    this.histogram[bucket] = (this.histogram[bucket] ?? 0) + 1;
    this.dirty = true;
  }

  report(): ApiRouteMinute {
    this.dirty = false;
    const [s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0] = this.statuses;
    return {
      method: this.method,
      route: this.route,
      count: this.count,
      statuses: { "1xx": s1, "2xx": s2, "3xx": s3, "4xx": s4, "5xx": s5 },
      durationMs: Math.round(this.durationMs * 1000) / 1000,
      buckets: toSparseHistogram(this.histogram),
    };
  }
}

export interface MinuteReport {
  /** Start of the minute, epoch ms. */
  readonly minute: number;
  readonly routes: ApiRouteMinute[];
}

export class RouteStats {
  private readonly minutes = new Map<number, Map<string, RouteMinute>>();

  record(method: string, route: string, status: number, durationMs: number, now: number): void {
    const minute = now - (now % MINUTE_MS);
    let routes = this.minutes.get(minute);
    if (routes === undefined) {
      routes = new Map();
      this.minutes.set(minute, routes);
    }
    const key = `${method} ${route}`;
    let stats = routes.get(key);
    if (stats === undefined) {
      const overflow = routes.size >= MAX_ROUTES;
      const name = overflow ? OTHER_ROUTE : route;
      const nameKey = `${method} ${name}`;
      stats = routes.get(nameKey) ?? new RouteMinute(method, name);
      routes.set(nameKey, stats);
      if (!overflow) routes.set(key, stats);
    }
    stats.add(status, durationMs);
  }

  /** The changed routes of every minute, cumulative; minutes before `now`'s are dropped after. */
  collect(now: number): MinuteReport[] {
    const current = now - (now % MINUTE_MS);
    const reports: MinuteReport[] = [];
    for (const [minute, routes] of this.minutes) {
      const changed = [...new Set(routes.values())]
        .filter((stats) => stats.dirty)
        .map((stats) => stats.report());
      if (changed.length > 0) reports.push({ minute, routes: changed });
      if (minute < current) this.minutes.delete(minute);
    }
    return reports;
  }
}
