/**
 * Request tracking for Express (docs/http-apis.md): `app.use(expressTracking(tracker))` before
 * the routes. Each request is recorded when its response finishes (or the client goes away)
 * under its route template, `req.baseUrl + req.route.path`; a request no route matched counts
 * as `(unmatched)`. Declared routes are read from the app's router for the heartbeat.
 */
import type { ApiRoute, ApiTracker } from "./api-tracker.js";
import { REQUEST_ID_HEADER, RequestStart, headerValue } from "./tracked-request.js";

/** The parts of Express this middleware uses (typed structurally: express is an optional peer). */
interface ExpressRequest {
  readonly method: string;
  /** Unset again by Express 5 once an error left the router. */
  readonly baseUrl?: string | undefined;
  readonly route?: { readonly path: unknown } | undefined;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly app?: unknown;
}

interface ExpressResponse {
  readonly statusCode: number;
  once(event: "finish" | "close", listener: () => void): unknown;
}

interface Layer {
  readonly route?: { readonly path: unknown; readonly methods?: Record<string, boolean> };
}

/** The routes an Express 4 or 5 app declares at its top level. */
function declaredRoutes(app: unknown): ApiRoute[] {
  const candidate = app as { router?: { stack?: Layer[] }; _router?: { stack?: Layer[] } } | undefined;
  const stack = candidate?.router?.stack ?? candidate?._router?.stack ?? [];
  const routes: ApiRoute[] = [];
  for (const layer of stack) {
    if (layer.route === undefined || typeof layer.route.path !== "string") continue;
    for (const [method, enabled] of Object.entries(layer.route.methods ?? {})) {
      if (enabled && method !== "_all")
        routes.push({ method: method.toUpperCase(), route: layer.route.path });
    }
  }
  return routes;
}

function routeOf(request: ExpressRequest): string | undefined {
  const path = request.route?.path;
  if (path === undefined) return undefined;
  // Express also takes regular expressions and arrays of paths as a route's path.
  const template =
    typeof path === "string" ? path : path instanceof RegExp ? path.source : JSON.stringify(path);
  return `${request.baseUrl ?? ""}${template}`;
}

export function expressTracking(
  tracker: ApiTracker,
): (request: ExpressRequest, response: ExpressResponse, next: (error?: unknown) => void) => void {
  let routesFrom: unknown;
  tracker.addRouteSource(() => declaredRoutes(routesFrom));
  tracker.start();
  return (request, response, next) => {
    routesFrom ??= request.app;
    const start = new RequestStart(headerValue(request.headers.traceparent));
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      start.finish(
        tracker,
        request.method,
        routeOf(request),
        response.statusCode,
        headerValue(request.headers[REQUEST_ID_HEADER]),
      );
    };
    response.once("finish", finish);
    response.once("close", finish);
    start.run(tracker, next);
  };
}
