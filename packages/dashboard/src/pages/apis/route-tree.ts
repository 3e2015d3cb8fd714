/**
 * The APIs page's route tree: routes grouped by their first path segment (`/users/:id` and
 * `/users` under `/users`), groups and routes in path order, methods of one route together.
 */
import type { ApiRouteSummary } from "@upnext/core";

export interface RouteGroup {
  /** `/users`, or `/` for the root route and routes with no segment. */
  readonly prefix: string;
  readonly routes: readonly ApiRouteSummary[];
  /** Requests of the group's routes in the window. */
  readonly count: number;
}

export function routePrefix(route: string): string {
  const first = route.split("/").find((segment) => segment !== "");
  return first === undefined ? "/" : `/${first}`;
}

export function routeTree(routes: readonly ApiRouteSummary[]): RouteGroup[] {
  const groups = new Map<string, ApiRouteSummary[]>();
  for (const route of routes) {
    const prefix = routePrefix(route.route);
    const list = groups.get(prefix) ?? [];
    list.push(route);
    groups.set(prefix, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([prefix, list]) => ({
      prefix,
      routes: list.sort((a, b) => a.route.localeCompare(b.route) || a.method.localeCompare(b.method)),
      count: list.reduce((sum, route) => sum + route.count, 0),
    }));
}
