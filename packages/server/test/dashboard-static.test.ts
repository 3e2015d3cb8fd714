/**
 * The dashboard served by the real app: index.html for the SPA's pages, hashed assets cached for
 * good, the JSON 404 kept for /api and for missing files, and a page that says how to build the
 * dashboard when it was not built.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import { createDependencies, type ServerDependencies } from "../src/connections/server-dependencies.js";
import { openServerRedis } from "../src/connections/server-redis.js";
import { REDIS_URL, testConfig, testNamespace } from "./helpers/app.js";
import { type TestDatabase, createTestDatabase } from "./helpers/database.js";

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head></html>';

let dist: string;
let database: TestDatabase;
let deps: ServerDependencies;
const apps: FastifyInstance[] = [];

async function appServing(root: string): Promise<FastifyInstance> {
  const app = await buildApp({ deps, logger: pino({ level: "silent" }), dashboardRoot: root });
  await app.ready();
  apps.push(app);
  return app;
}

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), "upnext-dashboard-"));
  await mkdir(join(dist, "assets"));
  await writeFile(join(dist, "index.html"), INDEX);
  await writeFile(join(dist, "assets", "index-abc123.js"), "console.log('dashboard');");
  await writeFile(join(dist, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  const config = testConfig({ UPNEXT_NAMESPACE: testNamespace("static"), UPNEXT_REDIS_URL: REDIS_URL });
  database = await createTestDatabase("sqlite", "static");
  deps = createDependencies({ config, redis: openServerRedis(config.redisUrl), database: database.database });
});

afterAll(async () => {
  for (const app of apps) await app.close();
  deps.stop();
  deps.redis.disconnect();
  await database.destroy();
  await rm(dist, { recursive: true, force: true });
});

describe("the dashboard at /", () => {
  it("serves index.html at / and revalidates it on every load", async () => {
    const app = await appServing(dist);
    const response = await app.inject({ method: "GET", url: "/" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("text/html");
    expect(response.headers["cache-control"]).toBe("no-cache");
    expect(response.body).toBe(INDEX);
  });

  it("answers index.html for the dashboard's own pages (deep links)", async () => {
    const app = await appServing(dist);
    for (const url of ["/jobs", "/jobs/01JABCDEF?tab=logs", "/functions/send-email", "/dead-letters/"]) {
      const response = await app.inject({ method: "GET", url });
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).toBe(INDEX);
    }
  });

  it("caches hashed assets for good", async () => {
    const app = await appServing(dist);
    const response = await app.inject({ method: "GET", url: "/assets/index-abc123.js" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("javascript");
    expect(response.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  });

  it("serves unhashed top-level files revalidated", async () => {
    const app = await appServing(dist);
    const response = await app.inject({ method: "GET", url: "/favicon.svg" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-cache");
  });

  it("keeps the JSON 404 for unknown API paths and missing files", async () => {
    const app = await appServing(dist);
    for (const url of [
      "/api/v1/no-such-thing",
      "/api/v1",
      "/assets/gone-999.js",
      "/robots.txt",
      "/some/file.map",
    ]) {
      const response = await app.inject({ method: "GET", url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json(), url).toMatchObject({ error: { code: "not_found" } });
    }
  });

  it("leaves the API and the health checks to their own routes", async () => {
    const app = await appServing(dist);
    const health = await app.inject({ method: "GET", url: "/health" });
    expect(health.json()).toEqual({ status: "ok" });
    const docs = await app.inject({ method: "GET", url: "/api/v1/docs/json" });
    expect(docs.statusCode).toBe(200);
    expect(docs.json()).toHaveProperty("openapi");
  });

  it("does not escape the dashboard folder", async () => {
    const app = await appServing(dist);
    const response = await app.inject({ method: "GET", url: "/assets/..%2f..%2fetc%2fpasswd" });
    expect(response.statusCode).not.toBe(200);
  });

  it("says how to build the dashboard when there is no build, as a 404 (not a 5xx alerts count)", async () => {
    const app = await appServing(join(dist, "missing"));
    for (const url of ["/", "/jobs", "/wp-login.php-like/page"]) {
      const response = await app.inject({ method: "GET", url });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers["content-type"]).toContain("text/html");
      expect(response.body).toContain("npm run build");
    }
    const api = await app.inject({ method: "GET", url: "/api/v1/nope" });
    expect(api.statusCode).toBe(404);
  });
});
