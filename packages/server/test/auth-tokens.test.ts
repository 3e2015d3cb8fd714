/**
 * Named tokens with scopes, the one scope rule by route kind, stream tickets, and tokens kept out
 * of logs and links: against a real app (Redis, SQLite) over HTTP.
 */
import { Writable } from "node:stream";
import { apiErrorEnvelopeSchema } from "@upnext/core";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverLoggerOptions } from "../src/http/server-logger.js";
import { insertJobs } from "./helpers/seed-history.js";
import { SseClient } from "./helpers/sse-client.js";
import { type StreamApp, startStreamApp } from "./helpers/stream-app.js";

const ADMIN = "admin-token-0123456789";
const READER = "reader-token-0123456789";
const LEGACY = "legacy-default-token-01";
const SAMPLE_ID = "01J9Z6AAAAAAAAAAAAAAAAAAAA";

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

async function call(
  server: StreamApp,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(`${server.base}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (an empty body).
  }
  return { status: response.status, body: parsed };
}

function codeOf(answer: Answer): string | undefined {
  return apiErrorEnvelopeSchema.safeParse(answer.body).data?.error.code;
}

describe("named tokens, scopes, stream tickets and tokens out of logs and links", () => {
  let server: StreamApp;
  const lines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    server = await startStreamApp({
      label: "auth-tokens",
      env: {
        UPNEXT_API_TOKEN: LEGACY,
        UPNEXT_API_TOKENS: `ops:admin:${ADMIN}, dashboard:read:${READER}`,
        UPNEXT_API_RATE_LIMIT: "100000/m",
      },
      logger: pino(serverLoggerOptions("info", "json"), sink),
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("lets a read token read and refuses it every action with 403, by one rule over every route", async () => {
    expect((await call(server, "GET", "/api/v1/jobs", READER)).status).toBe(200);
    const spec = server.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const actions = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((method) => !["get", "head"].includes(method) && path !== "/api/v1/stream-tickets")
        .map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, SAMPLE_ID) })),
    );
    expect(actions.length).toBeGreaterThan(10);
    for (const action of actions) {
      const answer = await call(server, action.method, action.path, READER, {});
      expect(answer.status, `${action.method} ${action.path}`).toBe(403);
      expect(codeOf(answer)).toBe("forbidden");
      expect(JSON.stringify(answer.body)).toContain('"dashboard"');
      // The admin token is past the scope check: whatever it gets, it is not 401/403.
      const admin = await call(server, action.method, action.path, ADMIN, {});
      expect([401, 403], `${action.method} ${action.path}`).not.toContain(admin.status);
    }
    // UPNEXT_API_TOKEN is an admin token named "default".
    const legacy = await call(server, "POST", `/api/v1/jobs/${SAMPLE_ID}/cancel`, LEGACY, {});
    expect([401, 403]).not.toContain(legacy.status);
    expect((await call(server, "GET", "/api/v1/jobs", "not-a-token-at-all")).status).toBe(401);
  });

  it("takes a token in the query only on live streams, and prefers a short-lived ticket there", async () => {
    const listWithQueryToken = await call(server, "GET", `/api/v1/jobs?token=${ADMIN}`);
    expect(listWithQueryToken.status).toBe(401);
    expect(JSON.stringify(listWithQueryToken.body)).not.toContain(ADMIN);

    const issued = await call(server, "POST", "/api/v1/stream-tickets", READER);
    expect(issued.status).toBe(201);
    const { ticket } = issued.body as { ticket: string; expiresAt: number };
    expect(ticket).not.toContain(READER);
    const stream = await SseClient.open(
      `${server.base}/api/v1/jobs/stream?ticket=${encodeURIComponent(ticket)}`,
    );
    expect(stream.status).toBe(200);
    stream.close();
    const legacyQuery = await SseClient.open(`${server.base}/api/v1/workers/stream?token=${READER}`);
    expect(legacyQuery.status).toBe(200);
    legacyQuery.close();

    // A forged ticket, and a real one on a route that is not a stream, open nothing.
    const forged = await SseClient.open(
      `${server.base}/api/v1/jobs/stream?ticket=${encodeURIComponent(`${ticket.slice(0, -4)}AAAA`)}`,
    );
    expect(forged.status).toBe(401);
    expect(apiErrorEnvelopeSchema.parse(await forged.json()).error.code).toBe("unauthorized");
    expect((await call(server, "GET", `/api/v1/jobs?ticket=${encodeURIComponent(ticket)}`)).status).toBe(401);
  });

  it("never writes a token or ticket to a log line or into a next/prev link", async () => {
    const issued = await call(server, "POST", "/api/v1/stream-tickets", ADMIN);
    const { ticket } = issued.body as { ticket: string };
    const stream = await SseClient.open(
      `${server.base}/api/v1/jobs/stream?ticket=${encodeURIComponent(ticket)}`,
    );
    stream.close();
    const withToken = await SseClient.open(`${server.base}/api/v1/jobs/stream?token=${ADMIN}&type=completed`);
    withToken.close();
    await call(server, "GET", `/api/v1/jobs?token=${READER}`);
    await call(server, "GET", `/api/v1/jobs/%ff?token=${READER}`);
    // A page with links, asked for with a credential in its query: the links drop it.
    await insertJobs(
      server.deps.database.db,
      [1, 2, 3].map((n) => ({ function: "fn.links", created_at: 1_700_000_000_000 + n })),
    );
    const first = await fetch(
      `${server.base}/api/v1/jobs?limit=1&ticket=${encodeURIComponent(ticket)}&token=${ADMIN}`,
      {
        headers: { authorization: `Bearer ${ADMIN}` },
      },
    );
    const page = ((await first.json()) as { page: { next: string | null } }).page;
    expect(page.next).not.toBeNull();
    expect(page.next).not.toMatch(/token|ticket/);
    const second = await fetch(`${server.base}${page.next ?? ""}`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const secondPage = ((await second.json()) as { page: { prev: string | null } }).page;
    expect(secondPage.prev).not.toMatch(/token|ticket/);

    await server.app.close().catch(() => undefined);
    const log = lines.join("");
    expect(log).toContain("/api/v1/jobs/stream");
    for (const secret of [ADMIN, READER, LEGACY, ticket, encodeURIComponent(ticket)]) {
      expect(log).not.toContain(secret);
    }
  });
});

describe("a route added later declares its kind and gets the scope rule", () => {
  let server: StreamApp;
  beforeAll(async () => {
    server = await startStreamApp({
      label: "auth-later",
      env: { UPNEXT_API_TOKENS: `ops:admin:${ADMIN},dashboard:read:${READER}` },
      extraRoutes: (app: FastifyInstance) => {
        app.get("/api/v1/bulk/preview", { config: { access: "admin" } }, () => ({ ok: true }));
        app.post("/api/v1/bulk/count", { config: { access: "read" } }, () => ({ ok: true }));
        app.post("/api/v1/bulk/cancel", () => ({ ok: true }));
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("refuses a read token on a route declared admin, or on a write by default, and allows what is declared read", async () => {
    expect((await call(server, "GET", "/api/v1/bulk/preview", READER)).status).toBe(403);
    expect((await call(server, "GET", "/api/v1/bulk/preview", ADMIN)).status).toBe(200);
    expect((await call(server, "POST", "/api/v1/bulk/cancel", READER, {})).status).toBe(403);
    expect((await call(server, "POST", "/api/v1/bulk/cancel", ADMIN, {})).status).toBe(200);
    expect((await call(server, "POST", "/api/v1/bulk/count", READER, {})).status).toBe(200);
  });
});
