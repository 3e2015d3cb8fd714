/**
 * A worker's small HTTP endpoint (plain node:http): `GET /health` (liveness: the event loop
 * answers), `GET /ready` (503 with the failed checks unless the worker can take jobs) and
 * `GET /metrics` (Prometheus text). Kubernetes probes and Prometheus scrapes point here.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Readiness } from "./readiness.js";

export interface HealthServerOptions {
  readonly port: number;
  /** Address to listen on (default: every interface, as Kubernetes probes need). */
  readonly host?: string | undefined;
  readonly workerId: () => string | undefined;
  readonly readiness: () => Promise<Readiness>;
  readonly metrics: () => Promise<{ readonly contentType: string; readonly body: string }>;
  /** When not empty, every request must carry `Authorization: Bearer <token>` (UPNEXT_WORKER_HTTP_TOKEN). */
  readonly token?: string | undefined;
}

/** A running health endpoint: where it listens, and how to stop it. */
export interface HealthEndpoint {
  readonly port: number;
  readonly host: string;
  /** `http://<host>:<port>`, for a person or a test to call. */
  readonly url: string;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, {
    "content-type": contentType,
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}

function json(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, "application/json; charset=utf-8", `${JSON.stringify(body)}\n`);
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Compares digests, so the time taken says nothing about how much of the token matched. */
function authorized(request: IncomingMessage, expected: Buffer): boolean {
  const header = request.headers.authorization ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1].trim()), expected);
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthEndpoint> {
  const startedAt = Date.now();
  const token = options.token !== undefined && options.token.length > 0 ? digest(options.token) : undefined;
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("allow", "GET, HEAD");
      json(response, 405, { error: "method not allowed: use GET" });
      return;
    }
    if (token !== undefined && !authorized(request, token)) {
      response.setHeader("www-authenticate", 'Bearer realm="upnext-worker"');
      json(response, 401, { error: "unauthorized: send Authorization: Bearer <UPNEXT_WORKER_HTTP_TOKEN>" });
      return;
    }
    switch (path) {
      case "/health":
      case "/healthz":
      case "/livez":
        json(response, 200, {
          status: "ok",
          workerId: options.workerId() ?? null,
          uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        });
        return;
      case "/ready":
      case "/readyz": {
        const readiness = await options.readiness();
        json(response, readiness.ready ? 200 : 503, {
          status: readiness.ready ? "ready" : "not ready",
          workerId: options.workerId() ?? null,
          failed: readiness.failed,
          checks: readiness.checks,
        });
        return;
      }
      case "/metrics": {
        const { contentType, body } = await options.metrics();
        send(response, 200, contentType, body);
        return;
      }
      default:
        json(response, 404, { error: "not found", endpoints: ["/health", "/ready", "/metrics"] });
    }
  };
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      json(response, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  // Probes keep no connection open for long; without this, close() would wait for idle keep-alives.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.unref();
  const address = server.address() as AddressInfo;
  const host = options.host ?? "0.0.0.0";
  const urlHost = address.family === "IPv6" && host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    host,
    url: `http://${urlHost === "0.0.0.0" || urlHost === "::" ? "127.0.0.1" : urlHost}:${address.port}`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
