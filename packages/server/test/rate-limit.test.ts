/**
 * Rate limiting of /api/v1, counted in Redis: two app instances on one namespace (two replicas)
 * share each client's budget; probes are exempt; over the limit is a 429 in the envelope with
 * Retry-After and the limit headers; behind a trusted proxy each real client (not the token they
 * share) has a budget; while Redis is down requests are served uncounted.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../upnext/test/helpers/redis.js";
import { type TestApp, createTestApp } from "./helpers/app.js";
import { errorOf } from "./helpers/api-requests.js";
import { type PrivateRedisApp, appOnPrivateRedis } from "./helpers/outage-apps.js";

const LIMIT = 5;
const RATE = `${LIMIT}/m`;
/** An API route that needs nothing but the app (the OpenAPI document). */
const API_URL = "/api/v1/docs/json";

function get(test: TestApp, url = API_URL, headers: Record<string, string> = {}, remoteAddress?: string) {
  return test.app.inject({ method: "GET", url, headers, ...(remoteAddress ? { remoteAddress } : {}) });
}

describe("a rate limit shared by two replicas", () => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    const namespace = `ts-rate-${randomBytes(3).toString("hex")}`;
    const env = { UPNEXT_API_RATE_LIMIT: RATE };
    first = await createTestApp({ dialect: "sqlite", label: "rate-a", namespace, env });
    second = await createTestApp({ dialect: "sqlite", label: "rate-b", namespace, env });
  });
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  it("counts one client's requests across both replicas, then answers 429 in the envelope on either", async () => {
    const client = "10.1.0.1";
    const remaining: string[] = [];
    for (const replica of [first, second, first, second, first]) {
      const response = await get(replica, API_URL, {}, client);
      expect(response.statusCode).toBe(200);
      expect(response.headers["x-ratelimit-limit"]).toBe(String(LIMIT));
      remaining.push(String(response.headers["x-ratelimit-remaining"]));
    }
    expect(remaining).toEqual(["4", "3", "2", "1", "0"]);
    for (const replica of [second, first]) {
      const over = await get(replica, API_URL, {}, client);
      expect(over.statusCode).toBe(429);
      const error = errorOf(over);
      expect(error).toMatchObject({ code: "rate_limited", details: { limit: LIMIT, windowMs: 60_000 } });
      expect(error.requestId).toBe(over.headers["x-request-id"]);
      expect(error.message).toContain(`${LIMIT} requests per`);
      expect(Number(over.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(Number(over.headers["retry-after"])).toBeLessThanOrEqual(60);
      expect(over.headers["x-ratelimit-remaining"]).toBe("0");
    }
  });

  it("gives another client a budget of its own", async () => {
    const response = await get(second, API_URL, {}, "10.1.0.2");
    expect(response.statusCode).toBe(200);
    expect(response.headers["x-ratelimit-remaining"]).toBe(String(LIMIT - 1));
  });

  it("never limits /health or /ready", async () => {
    const client = "10.1.0.3";
    for (let i = 0; i <= LIMIT; i++) await get(first, API_URL, {}, client);
    expect((await get(first, API_URL, {}, client)).statusCode).toBe(429);
    for (const url of ["/health", "/ready"]) {
      const response = await get(first, url, {}, client);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers["x-ratelimit-limit"]).toBeUndefined();
    }
  });
});

describe("a rate limit keyed by the real client, with one token for everyone", () => {
  let behindProxy: TestApp;
  let untrusting: TestApp;
  const token = "shared-dashboard-token-01";
  const auth = { authorization: `Bearer ${token}` };
  const proxy = "10.9.0.1";
  const via = (client: string) => ({ ...auth, "x-forwarded-for": client });
  beforeAll(async () => {
    const env = { UPNEXT_API_RATE_LIMIT: RATE, UPNEXT_API_TOKENS: `dashboard:read:${token}` };
    behindProxy = await createTestApp({
      dialect: "sqlite",
      label: "rate-proxy",
      namespace: `ts-rate-proxy-${randomBytes(3).toString("hex")}`,
      env: { ...env, UPNEXT_TRUST_PROXY: "10.9.0.0/16" },
    });
    untrusting = await createTestApp({
      dialect: "sqlite",
      label: "rate-no-proxy",
      namespace: `ts-rate-noproxy-${randomBytes(3).toString("hex")}`,
      env,
    });
  });
  afterAll(async () => {
    await behindProxy.close();
    await untrusting.close();
  });

  it("gives each client behind a trusted proxy its own budget, though they share the token", async () => {
    for (let i = 0; i < LIMIT; i++) {
      expect((await get(behindProxy, API_URL, via("203.0.113.1"), proxy)).statusCode).toBe(200);
    }
    expect((await get(behindProxy, API_URL, via("203.0.113.1"), proxy)).statusCode).toBe(429);
    const other = await get(behindProxy, API_URL, via("203.0.113.2"), proxy);
    expect(other.statusCode).toBe(200);
    expect(other.headers["x-ratelimit-remaining"]).toBe(String(LIMIT - 1));
    // A forwarded-for header from an address that is not a trusted proxy is not believed.
    for (let i = 0; i < LIMIT; i++)
      await get(behindProxy, API_URL, via(`198.51.100.${String(i)}`), "10.10.0.1");
    expect((await get(behindProxy, API_URL, via("198.51.100.99"), "10.10.0.1")).statusCode).toBe(429);
  });

  it("without UPNEXT_TRUST_PROXY, counts everything arriving through the proxy as one client", async () => {
    for (let i = 0; i < LIMIT; i++) await get(untrusting, API_URL, via(`203.0.113.${String(i)}`), proxy);
    expect((await get(untrusting, API_URL, via("203.0.113.200"), proxy)).statusCode).toBe(429);
    // A wrong token is refused before it is counted.
    const wrong = await get(untrusting, API_URL, { authorization: "Bearer nope" }, "10.9.9.9");
    expect(wrong.statusCode).toBe(401);
  });
});

describe("a rate limit while Redis is down", () => {
  let outage: PrivateRedisApp;
  beforeAll(async () => {
    outage = await appOnPrivateRedis({
      dialect: "sqlite",
      label: "rate-outage",
      env: { UPNEXT_API_RATE_LIMIT: "2/m" },
    });
  });
  afterAll(async () => {
    await outage.close();
  });

  it("serves requests uncounted (skipOnError), and limits again once Redis is back", async () => {
    const { test, redis } = outage;
    await redis.stop();
    for (let i = 0; i < 5; i++) expect((await get(test)).statusCode).toBe(200);
    await redis.restart();
    await eventually(async () => (await get(test)).statusCode === 429, "the limit to apply again", 15_000);
  });
});
