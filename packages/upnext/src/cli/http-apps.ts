/**
 * The HTTP apps an entry file exports, for `upnext run` (docs/cli.md, "run"): a Fastify, Express
 * or Hono instance (served on --port/--host), or a function exported as `serve` that starts its
 * own server and returns something to close it with. Only that name: any other exported
 * function may be anything, and running it unasked would be a surprise. Each app
 * is started once and stopped by the run's one graceful shutdown: the server stops accepting
 * connections and waits for the requests in flight (docs/http-apis.md, "One process").
 */
import { Server as NetServer } from "node:net";
import type { AddressInfo } from "node:net";
import { CliError } from "./cli-error.js";
import { displayPath } from "./load-entry.js";

export type HttpAppKind = "fastify" | "express" | "hono" | "function";

export interface HttpApp {
  /** The export's name ("default" for the default export). */
  readonly name: string;
  readonly kind: HttpAppKind;
  start(listen: ListenOptions): Promise<RunningApp>;
}

export interface ListenOptions {
  readonly port: number;
  readonly host: string;
}

export interface RunningApp {
  readonly name: string;
  readonly kind: HttpAppKind;
  /** `http://host:port` when it is known. */
  readonly url: string | undefined;
  /** Stops accepting connections and resolves once the requests in flight are answered. */
  stop(): Promise<void>;
}

type AnyFunction = (...args: unknown[]) => unknown;

const isFunction = (value: unknown): value is AnyFunction => typeof value === "function";

function has(value: unknown, ...methods: string[]): boolean {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const record = value as Record<string, unknown>;
  return methods.every((method) => isFunction(record[method]));
}

function kindOf(value: unknown): Exclude<HttpAppKind, "function"> | undefined {
  if (typeof value === "object" && has(value, "listen", "close", "inject", "register")) return "fastify";
  if (typeof value === "function" && has(value, "listen", "use", "set")) return "express";
  if (
    typeof value === "object" &&
    has(value, "fetch", "request") &&
    Array.isArray((value as { routes?: unknown }).routes)
  )
    return "hono";
  return undefined;
}

function urlOf(address: string | AddressInfo | null | undefined): string | undefined {
  if (address === null || address === undefined || typeof address === "string") return undefined;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** How often a closing server's connections are checked for having become idle. */
const IDLE_SWEEP_MS = 100;

/**
 * Runs `closing` (a server's close) while closing every keep-alive connection as soon as it is
 * idle: Node closes the idle ones once, at close(), and a connection whose request ends later
 * would otherwise hold the close until its keep-alive timeout (72 s under Fastify).
 */
async function whileClosing(server: unknown, closing: Promise<void>): Promise<void> {
  const sweep = (server as { closeIdleConnections?: () => void } | undefined)?.closeIdleConnections?.bind(
    server,
  );
  if (sweep === undefined) return closing;
  sweep();
  const timer = setInterval(sweep, IDLE_SWEEP_MS);
  try {
    await closing;
  } finally {
    clearInterval(timer);
  }
}

/** Closes a Node server: no new connections, idle keep-alive ones closed, busy ones waited for. */
function closeServer(server: NetServer): Promise<void> {
  const closing = new Promise<void>((resolve, reject) => {
    server.close((error) => {
      if (error && (error as NodeJS.ErrnoException).code !== "ERR_SERVER_NOT_RUNNING") reject(error);
      else resolve();
    });
  });
  return whileClosing(server, closing);
}

function listening(server: NetServer): Promise<void> {
  if (server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.once("listening", () => {
      resolve();
    });
    server.once("error", reject);
  });
}

/** What a `serve` function returned, as something the shutdown can stop. */
function stopperOf(name: string, value: unknown): () => Promise<void> {
  if (value instanceof NetServer) return () => closeServer(value);
  if (isFunction(value)) {
    return async () => {
      await value();
    };
  }
  if (has(value, "close")) {
    const closeable = value as { close: () => unknown; server?: unknown };
    return () =>
      whileClosing(
        closeable.server,
        Promise.resolve(closeable.close()).then(() => undefined),
      );
  }
  throw new CliError(
    `serve export '${name}' returned ${value === undefined ? "nothing" : typeof value}; return what stops it: an http.Server, a Fastify instance, an object with close(), or a stop function.`,
  );
}

/** A variable, so the type checker does not need the package's types (an optional peer). */
const HONO_NODE_SERVER = "@hono/node-server";

async function startInstance(
  name: string,
  kind: Exclude<HttpAppKind, "function">,
  app: unknown,
  at: ListenOptions,
): Promise<RunningApp> {
  if (kind === "fastify") {
    const fastify = app as {
      listen(options: { port: number; host: string }): Promise<string>;
      close(): Promise<void>;
      server: NetServer;
    };
    await fastify.listen({ port: at.port, host: at.host });
    return {
      name,
      kind,
      url: urlOf(fastify.server.address()),
      stop: () => whileClosing(fastify.server, fastify.close()),
    };
  }
  let server: NetServer;
  if (kind === "express") {
    server = (app as { listen(port: number, host: string): NetServer }).listen(at.port, at.host);
  } else {
    let serve: (options: { fetch: unknown; port: number; hostname: string }) => NetServer;
    try {
      ({ serve } = (await import(HONO_NODE_SERVER)) as { serve: typeof serve });
    } catch (error) {
      throw new CliError(
        `Hono app '${name}' needs @hono/node-server to be served; install it next to hono.`,
        undefined,
        {
          cause: error,
        },
      );
    }
    const hono = app as { fetch: unknown };
    server = serve({ fetch: hono.fetch, port: at.port, hostname: at.host });
  }
  await listening(server);
  return { name, kind, url: urlOf(server.address()), stop: () => closeServer(server) };
}

/**
 * Every HTTP app the module exports. More than one app instance cannot share --port: that is
 * an error naming them (a `serve` function chooses its own port, so any number of those is fine).
 */
export function findHttpApps(path: string, namespace: Record<string, unknown>): HttpApp[] {
  const seen = new Set<unknown>();
  const apps: HttpApp[] = [];
  for (const [name, value] of Object.entries(namespace)) {
    if (seen.has(value)) continue;
    const kind = kindOf(value);
    if (kind !== undefined) {
      seen.add(value);
      apps.push({ name, kind, start: (at) => startInstance(name, kind, value, at) });
    } else if (name === "serve" && isFunction(value)) {
      seen.add(value);
      apps.push({
        name,
        kind: "function",
        start: async () => {
          const result = await value();
          const stop = stopperOf(name, result);
          const server =
            result instanceof NetServer ? result : (result as { server?: unknown } | null)?.server;
          return {
            name,
            kind: "function",
            url: server instanceof NetServer ? urlOf(server.address()) : undefined,
            stop,
          };
        },
      });
    }
  }
  const instances = apps.filter((app) => app.kind !== "function");
  if (instances.length > 1) {
    throw new CliError(
      `${displayPath(path)} exports ${instances.length} HTTP app instances (${instances.map((app) => `'${app.name}'`).join(", ")}); upnext run serves one on --port. Export a serve() function that starts the others on ports of their own.`,
    );
  }
  return apps;
}

/** Stops every running app (all of them, even when one fails); rethrows the first failure. */
export async function stopApps(apps: readonly RunningApp[]): Promise<void> {
  const results = await Promise.allSettled(apps.map((app) => app.stop()));
  const failure = results.find((result) => result.status === "rejected");
  if (failure) throw failure.reason;
}
