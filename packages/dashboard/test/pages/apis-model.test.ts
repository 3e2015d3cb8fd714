/**
 * The APIs page's pure parts: the route tree groups by first path segment in path order, the
 * live list puts a new request first once (a reconnect may deliver one the refetch already has),
 * and the overview totals merge every API without averaging percentiles.
 */
import type { ApiRequest, ApiRouteSummary, RouteFigures } from "@upnext/core";
import { describe, expect, it } from "vitest";
import { API_REQUESTS_LIMIT } from "../../src/api/apis-queries.js";
import { prependRequest } from "../../src/live/use-api-request-stream.js";
import { routePrefix, routeTree } from "../../src/pages/apis/route-tree.js";
import { apiTotals } from "../../src/pages/overview/api-tiles.js";

function figures(count: number, errors: number, p95Ms: number | null): RouteFigures {
  return {
    count,
    statuses: { "1xx": 0, "2xx": count - errors, "3xx": 0, "4xx": 0, "5xx": errors },
    errorRate: count === 0 ? 0 : errors / count,
    avgMs: p95Ms,
    p50Ms: p95Ms,
    p95Ms,
    p99Ms: p95Ms,
  };
}

const route = (method: string, path: string, count: number): ApiRouteSummary => ({
  ...figures(count, 0, null),
  method,
  route: path,
  declared: true,
});

const request = (id: string): ApiRequest => ({
  id,
  api: "a",
  instanceId: "a-1",
  method: "GET",
  route: "/x",
  status: 500,
  durationMs: 3,
  requestId: null,
  traceId: null,
  reason: "failed",
  at: "2026-01-01T00:00:00.000Z",
});

describe("the APIs page model", () => {
  it("groups routes under their first segment, in path order, methods of one route together", () => {
    const tree = routeTree([
      route("POST", "/users", 2),
      route("GET", "/users/:id", 5),
      route("GET", "/", 1),
      route("GET", "/users", 3),
      route("GET", "/health", 0),
    ]);
    expect(tree.map((group) => [group.prefix, group.count])).toEqual([
      ["/", 1],
      ["/health", 0],
      ["/users", 10],
    ]);
    expect(tree[2]?.routes.map((item) => `${item.method} ${item.route}`)).toEqual([
      "GET /users",
      "POST /users",
      "GET /users/:id",
    ]);
    expect(routePrefix("//double//slash")).toBe("/double");
  });

  it("puts a live request first once and keeps the list's limit", () => {
    const full = { items: Array.from({ length: API_REQUESTS_LIMIT }, (_, index) => request(`r${index}`)) };
    const next = prependRequest(full, request("new"));
    expect(next.items).toHaveLength(API_REQUESTS_LIMIT);
    expect(next.items[0]?.id).toBe("new");
    expect(prependRequest(next, request("new")).items.filter((item) => item.id === "new")).toHaveLength(1);
    expect(prependRequest(undefined, request("only")).items.map((item) => item.id)).toEqual(["only"]);
  });

  it("sums requests and 5xx over every API and takes the slowest p95", () => {
    const api = (name: string, count: number, errors: number, p95Ms: number | null, online: number) => ({
      name,
      instances: [],
      online,
      window: { from: "2026-01-01T00:00:00.000Z", to: "2026-01-01T01:00:00.000Z" },
      totals: figures(count, errors, p95Ms),
      routes: [],
    });
    const list = { items: [api("a", 90, 9, 40, 2), api("b", 30, 3, 250, 1), api("c", 0, 0, null, 0)] };
    expect(apiTotals(list)).toMatchObject({
      requestsPerMinute: 2,
      errorRate: 0.1,
      worstP95Ms: 250,
      online: 3,
    });
    expect(apiTotals({ items: [] })).toMatchObject({
      errorRate: null,
      worstP95Ms: null,
      requestsPerMinute: 0,
    });
  });
});
