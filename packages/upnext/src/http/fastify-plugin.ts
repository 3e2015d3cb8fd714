/**
 * Request tracking for Fastify (docs/http-apis.md): `app.register(fastifyTracking(tracker))`
 * before the routes. Routes registered after it are declared in the heartbeat; each request is
 * recorded under `routeOptions.url` (the template) when its response is sent. Registered without
 * encapsulation (like fastify-plugin does), so it sees every route of the app.
 */
import type { ApiRoute, ApiTracker } from "./api-tracker.js";
import { RequestStart, headerValue } from "./tracked-request.js";

/** The parts of Fastify this plugin uses (typed structurally: fastify is an optional peer). */
interface FastifyLike {
  addHook(name: "onRoute", hook: (route: { method: string | string[]; url: string }) => void): unknown;
  addHook(
    name: "onRequest" | "preHandler" | "onResponse",
    hook: (request: RequestLike, reply: ReplyLike, done: () => void) => void,
  ): unknown;
  addHook(name: "onReady" | "onClose", hook: () => Promise<void>): unknown;
}

interface RequestLike {
  readonly id: string;
  readonly method: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly routeOptions: { readonly url?: string | undefined };
}

interface ReplyLike {
  readonly statusCode: number;
}

type FastifyPlugin = ((app: FastifyLike, options: unknown, done: () => void) => void) &
  Record<symbol, unknown>;

const starts = new WeakMap<object, RequestStart>();

export function fastifyTracking(tracker: ApiTracker): FastifyPlugin {
  const plugin = ((app: FastifyLike, _options: unknown, done: () => void) => {
    const routes: ApiRoute[] = [];
    tracker.addRouteSource(() => routes);
    app.addHook("onRoute", (route) => {
      for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
        if (method !== "HEAD") routes.push({ method: method.toUpperCase(), route: route.url });
      }
    });
    app.addHook("onRequest", (request, _reply, next) => {
      starts.set(request, new RequestStart(headerValue(request.headers.traceparent)));
      next();
    });
    // The handler runs from the last preHandler's callback, so it (and every job it submits)
    // runs inside the request's trace context.
    app.addHook("preHandler", (request, _reply, next) => {
      const start = starts.get(request);
      if (start === undefined) next();
      else start.run(tracker, next);
    });
    app.addHook("onResponse", (request, reply, next) => {
      starts
        .get(request)
        ?.finish(tracker, request.method, request.routeOptions.url, reply.statusCode, request.id);
      next();
    });
    app.addHook("onReady", () => {
      tracker.start();
      return Promise.resolve();
    });
    app.addHook("onClose", () => tracker.stop());
    done();
  }) as FastifyPlugin;
  // What fastify-plugin sets: no encapsulation, so the hooks apply to the whole app.
  plugin[Symbol.for("skip-override")] = true;
  plugin[Symbol.for("fastify.display-name")] = "upnext-http";
  return plugin;
}
