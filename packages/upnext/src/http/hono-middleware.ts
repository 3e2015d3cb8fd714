/**
 * Request tracking for Hono (docs/http-apis.md): `app.use(honoTracking(tracker, app))` before
 * the routes. Each request is recorded after the handler answered, under the path pattern of
 * the route that answered it (`/posts/:id`); a request only middleware saw counts as
 * `(unmatched)`. Passing the app declares its routes in the heartbeat.
 *
 * Hono is an optional peer: its types are described structurally here and its route helper
 * (`hono/route`) is imported with the first request, so importing `upnext/http` never needs
 * Hono installed. (The ES module, not `require`: the helper reads a symbol of Hono's request
 * object, and the CommonJS build has a symbol of its own.)
 */
import type { ApiRoute, ApiTracker } from "./api-tracker.js";
import { REQUEST_ID_HEADER, RequestStart } from "./tracked-request.js";

interface RouterRoute {
  readonly method: string;
  readonly path: string;
  readonly handler: unknown;
}

interface HonoContext {
  readonly req: {
    readonly method: string;
    readonly routeIndex: number;
    header(name: string): string | undefined;
  };
  readonly res: { readonly status: number };
  get(key: string): unknown;
}

type HonoMiddleware = (context: HonoContext, next: () => Promise<void>) => Promise<void>;

interface HonoLike {
  readonly routes: readonly RouterRoute[];
}

type MatchedRoutes = (context: HonoContext) => readonly RouterRoute[];

/** A variable, so the type checker does not need Hono's types to compile this file. */
const ROUTE_HELPER = "hono/route";
let helper: Promise<MatchedRoutes> | undefined;

function loadRouteHelper(): Promise<MatchedRoutes> {
  helper ??= (import(ROUTE_HELPER) as Promise<{ matchedRoutes: MatchedRoutes }>).then(
    (module) => module.matchedRoutes,
    (error: unknown) => {
      throw new Error(
        "honoTracking needs Hono 4.8 or later (its 'hono/route' helper); install hono next to upnext.",
        { cause: error },
      );
    },
  );
  return helper;
}

function routeOf(routes: MatchedRoutes, context: HonoContext, self: unknown): string | undefined {
  const route = routes(context)[context.req.routeIndex];
  if (route === undefined || route.handler === self) return undefined;
  // A middleware (method ALL) that answered a 404 is not a route of the app.
  if (route.method === "ALL" && context.res.status === 404 && route.path.includes("*")) return undefined;
  return route.path;
}

function requestIdOf(context: HonoContext): string | undefined {
  const fromMiddleware = context.get("requestId");
  return typeof fromMiddleware === "string" ? fromMiddleware : context.req.header(REQUEST_ID_HEADER);
}

export function honoTracking(tracker: ApiTracker, app?: HonoLike): HonoMiddleware {
  const declared = (): ApiRoute[] =>
    (app?.routes ?? [])
      .filter((route) => route.method !== "ALL" && route.handler !== middleware)
      .map((route) => ({ method: route.method.toUpperCase(), route: route.path }));
  tracker.addRouteSource(declared);
  tracker.start();
  const middleware: HonoMiddleware = async (context, next) => {
    const start = new RequestStart(context.req.header("traceparent"));
    const routes = await loadRouteHelper();
    try {
      await start.run(tracker, next);
    } finally {
      start.finish(
        tracker,
        context.req.method,
        routeOf(routes, context, middleware),
        context.res.status,
        requestIdOf(context),
      );
    }
  };
  return middleware;
}
