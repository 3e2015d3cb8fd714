import { apiErrorEnvelopeSchema } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertSafeListenAddress } from "../src/http/auth.js";
import { type TestApp, createTestApp } from "./helpers/app.js";

describe("the app's shared behaviour", () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ dialect: "sqlite", label: "foundation" });
  });
  afterAll(async () => {
    await test.close();
  });

  it("answers liveness and readiness", async () => {
    const health = await test.app.inject({ method: "GET", url: "/health" });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: "ok" });
    const ready = await test.app.inject({ method: "GET", url: "/ready" });
    expect(ready.json()).toEqual({ status: "ready", checks: { redis: "ok", database: "ok" } });
  });

  it("answers an unknown route with the error envelope and the request id", async () => {
    const response = await test.app.inject({ method: "GET", url: "/api/v1/nope" });
    expect(response.statusCode).toBe(404);
    const body = apiErrorEnvelopeSchema.parse(response.json());
    expect(body.error.code).toBe("not_found");
    expect(body.error.requestId).toBe(response.headers["x-request-id"]);
  });

  it("takes a valid x-request-id, else a traceparent's trace id, else makes one", async () => {
    const given = await test.app.inject({
      method: "GET",
      url: "/health",
      headers: { "x-request-id": "abc-123" },
    });
    expect(given.headers["x-request-id"]).toBe("abc-123");
    const traced = await test.app.inject({
      method: "GET",
      url: "/health",
      headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
    });
    expect(traced.headers["x-request-id"]).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    const junk = await test.app.inject({
      method: "GET",
      url: "/health",
      headers: { "x-request-id": "bad id; drop table", traceparent: "nonsense" },
    });
    expect(junk.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("serves the OpenAPI document", async () => {
    const response = await test.app.inject({ method: "GET", url: "/api/v1/docs/json" });
    expect(response.statusCode).toBe(200);
    const spec = response.json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toContain("/ready");
  });
});

describe("authentication", () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ dialect: "sqlite", label: "auth", env: { UPNEXT_API_TOKEN: "s3cret" } });
  });
  afterAll(async () => {
    await test.close();
  });

  it("requires the bearer token on /api/v1 but not on the probes", async () => {
    const missing = await test.app.inject({ method: "GET", url: "/api/v1/docs/json" });
    expect(missing.statusCode).toBe(401);
    expect(apiErrorEnvelopeSchema.parse(missing.json()).error.code).toBe("unauthorized");
    const wrong = await test.app.inject({
      method: "GET",
      url: "/api/v1/docs/json",
      headers: { authorization: "Bearer nope" },
    });
    expect(wrong.statusCode).toBe(401);
    const right = await test.app.inject({
      method: "GET",
      url: "/api/v1/docs/json",
      headers: { authorization: "Bearer s3cret" },
    });
    expect(right.statusCode).toBe(200);
    expect((await test.app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
  });

  it("refuses a non-loopback listen address without a token", () => {
    expect(() => {
      assertSafeListenAddress("0.0.0.0", []);
    }).toThrow(/UPNEXT_API_TOKEN/);
    expect(() => {
      assertSafeListenAddress("127.0.0.1", []);
    }).not.toThrow();
    expect(() => {
      assertSafeListenAddress("::1", []);
    }).not.toThrow();
    expect(() => {
      assertSafeListenAddress("0.0.0.0", [{ name: "ops", scope: "read", token: "t".repeat(16) }]);
    }).not.toThrow();
  });
});
