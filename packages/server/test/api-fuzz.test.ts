/**
 * A bounded fuzz of the whole API over real HTTP: every operation of the OpenAPI document with
 * bad ids (long, unicode, `../`, `%00`, bad percent-encoding), bad enums, negative and huge
 * limits, malformed cursors, malformed, oversized and wrongly typed bodies, and oversized URLs.
 * No answer may be a 5xx, and every non-2xx under /api/v1 must be the error envelope.
 */
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { apiErrorEnvelopeSchema } from "@upnext/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { registerReadSnapshots } from "../src/reports/snapshot-sources.js";
import { type StreamApp, startStreamApp } from "./helpers/stream-app.js";

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

interface Probe {
  readonly method: string;
  readonly path: string;
  readonly body?: string | Buffer;
  readonly contentType?: string;
}

const BAD_IDS = [
  "x".repeat(600),
  encodeURIComponent("ünïcødé-😀"),
  "..%2F..%2Fetc%2Fpasswd",
  "..",
  "%00",
  "a%00b",
  "%",
  "%ff%fe",
  "%E0%A4%A",
  "%25",
  encodeURIComponent("' or 1=1 --"),
];

const BAD_QUERY_VALUES = [
  "-1",
  "0",
  "1e309",
  "99999999999999999999999",
  "NaN",
  "not-a-valid-enum-value",
  "",
  "%ff",
  "!!!not-a-cursor!!!",
  Buffer.from(JSON.stringify(["a", "x", 1, 2, 3])).toString("base64url"),
  "y".repeat(4_000),
];

const BAD_BODIES: readonly { readonly body: string | Buffer; readonly contentType?: string }[] = [
  { body: "{", contentType: "application/json" },
  { body: "[]", contentType: "application/json" },
  { body: "null", contentType: "application/json" },
  {
    body: '{"confirm": -1, "reason": 12, "ids": "x", "function": {"a": 1}}',
    contentType: "application/json",
  },
  {
    body: JSON.stringify({ deep: JSON.parse("[".repeat(500) + "]".repeat(500)) as unknown }),
    contentType: "application/json",
  },
  { body: "hello", contentType: "text/plain" },
  { body: "a=1", contentType: "application/x-www-form-urlencoded" },
  { body: Buffer.alloc(3 * 1024 * 1024, 0x61), contentType: "application/json" },
  { body: "{}", contentType: "application/xml" },
];

function send(port: number, probe: Probe): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (probe.body !== undefined) {
      headers["content-type"] = probe.contentType ?? "application/json";
      headers["content-length"] = Buffer.byteLength(probe.body);
    }
    const outgoing = request(
      { host: "127.0.0.1", port, method: probe.method, path: probe.path, headers },
      (response) => {
        // A live stream that opened (the probe happened to be valid) is not read to its end.
        if (response.headers["content-type"]?.startsWith("text/event-stream") === true) {
          resolve({ status: response.statusCode ?? 0, contentType: "text/event-stream", body: "" });
          outgoing.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          resolve({
            status: response.statusCode ?? 0,
            contentType: response.headers["content-type"] ?? "",
            body: Buffer.concat(chunks).toString("utf8"),
          });
        });
        response.on("error", reject);
      },
    );
    // The server may answer (413, 431) before reading the whole body and close the socket.
    outgoing.on("error", reject);
    outgoing.end(probe.body);
  });
}

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly query: readonly string[];
  readonly hasBody: boolean;
}

function operationsOf(spec: { paths?: Record<string, Record<string, unknown>> }): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const [method, raw] of Object.entries(item)) {
      const operation = raw as { parameters?: { in: string; name: string }[]; requestBody?: unknown };
      operations.push({
        method: method.toUpperCase(),
        path,
        query: (operation.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
        hasBody:
          operation.requestBody !== undefined || ["POST", "PUT", "PATCH"].includes(method.toUpperCase()),
      });
    }
  }
  return operations;
}

/** The path with every `{param}` replaced by `value`. */
function fill(path: string, value: string): string {
  return path.replace(/\{[^}]+\}/g, value);
}

describe("API fuzz: no 5xx, every non-2xx an envelope", () => {
  let test: StreamApp;
  let port: number;
  let operations: Operation[];

  beforeAll(async () => {
    // With the live streams (a hub), as `upnext server start` serves them.
    test = await startStreamApp({
      label: "api-fuzz",
      // The fuzz sends thousands of requests: the rate limit would answer most of them.
      env: { UPNEXT_API_RATE_LIMIT: "1000000/m" },
    });
    // The dashboard and trends snapshots' sources, as startServer registers them.
    registerReadSnapshots(test.hub, test.deps);
    port = (test.app.server.address() as AddressInfo).port;
    operations = operationsOf(test.app.swagger() as { paths?: Record<string, Record<string, unknown>> });
  });
  afterAll(async () => {
    await test.close();
  });

  let failures: string[] = [];
  beforeEach(() => {
    failures = [];
  });
  async function check(probe: Probe): Promise<void> {
    const answer = await send(port, probe).catch((error: unknown) => ({
      status: -1,
      contentType: "",
      body: error instanceof Error ? error.message : String(error),
    }));
    const where = `${probe.method} ${probe.path.slice(0, 120)}${probe.contentType ? ` (${probe.contentType})` : ""}`;
    if (answer.status === -1) {
      // A connection the server cut after answering early is not a failure; one it never answered is.
      if (!/ECONNRESET|EPIPE/.test(answer.body)) failures.push(`${where}: ${answer.body}`);
      return;
    }

    if (answer.status >= 500) failures.push(`${where}: ${answer.status} ${answer.body.slice(0, 200)}`);
    // A HEAD answer has no body by definition.
    if (answer.status >= 300 && probe.path.startsWith("/api/v1") && probe.method !== "HEAD") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(answer.body);
      } catch {
        parsed = undefined;
      }
      if (!apiErrorEnvelopeSchema.safeParse(parsed).success) {
        failures.push(`${where}: ${answer.status} is not an envelope: ${answer.body.slice(0, 200)}`);
      }
    }
  }

  it("covers the documented operations, the live streams included", () => {
    expect(operations.length).toBeGreaterThan(30);
    expect(operations.some((operation) => operation.path === "/api/v1/jobs/stream")).toBe(true);
  });

  it("answers bad ids in every path parameter", async () => {
    for (const operation of operations.filter((op) => op.path.includes("{"))) {
      for (const id of BAD_IDS) await check({ method: operation.method, path: fill(operation.path, id) });
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("answers bad values in every query parameter", async () => {
    for (const operation of operations) {
      const path = fill(operation.path, "01J9Z6AAAAAAAAAAAAAAAAAAAA");
      for (const name of operation.query) {
        for (const value of BAD_QUERY_VALUES) {
          await check({ method: operation.method, path: `${path}?${name}=${value}` });
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("answers malformed, oversized and wrongly typed bodies", async () => {
    for (const operation of operations.filter((op) => op.hasBody)) {
      const path = fill(operation.path, "01J9Z6AAAAAAAAAAAAAAAAAAAA");
      for (const body of BAD_BODIES) await check({ method: operation.method, path, ...body });
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("answers oversized URLs and unknown paths with an envelope (or a 404 outside the API)", async () => {
    await check({ method: "GET", path: `/api/v1/jobs?q=${"z".repeat(20_000)}` });
    await check({ method: "GET", path: `/api/v1/jobs/${"x".repeat(20_000)}` });
    await check({ method: "GET", path: "/api/v1/no/such/route" });
    await check({ method: "DELETE", path: "/api/v1/jobs" });
    await check({ method: "GET", path: "/api/v1/jobs/%" });
    const outside = await send(port, { method: "GET", path: "/no-such-page/%ff%fe" });
    expect(outside.status).toBeLessThan(500);
    const wpAdmin = await send(port, { method: "POST", path: "/wp-admin" });
    expect(wpAdmin.status).toBe(404);
    expect(failures).toEqual([]);
  }, 60_000);
});
