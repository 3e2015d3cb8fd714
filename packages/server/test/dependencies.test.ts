import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../upnext/test/helpers/redis.js";
import { openDatabase } from "../src/store/database.js";
import type { TestApp } from "./helpers/app.js";
import { type PrivateRedis, freePort } from "../../upnext/test/helpers/private-redis.js";
import { type PrivateRedisApp, appOnPrivateRedis } from "./helpers/outage-apps.js";

describe("readiness and the circuit breakers", () => {
  let outage: PrivateRedisApp;
  let redis: PrivateRedis;
  let test: TestApp;
  beforeAll(async () => {
    outage = await appOnPrivateRedis({ dialect: "sqlite", label: "deps", probeIntervalMs: 50 });
    ({ redis, test } = outage);
  });
  afterAll(async () => {
    await outage.close();
  });

  it("turns not ready while Redis is down, fails Redis calls fast with 503, and recovers by itself", async () => {
    await redis.stop();
    await eventually(() => test.deps.redisBreaker.isOpen, "the Redis breaker to open");
    const ready = await test.app.inject({ method: "GET", url: "/ready" });
    expect(ready.statusCode).toBe(503);
    const body = ready.json<{ error: { code: string; details: { checks: Record<string, string> } } }>();
    expect(body.error.code).toBe("dependency_unavailable");
    expect(body.error.details.checks.database).toBe("ok");
    expect(body.error.details.checks.redis).not.toBe("ok");
    // Liveness does not depend on Redis.
    expect((await test.app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
    await expect(test.deps.withRedis((client) => client.ping())).rejects.toMatchObject({
      code: "dependency_unavailable",
    });

    await redis.restart();
    await eventually(() => !test.deps.redisBreaker.isOpen, "the Redis breaker to close again", 15_000);
    expect(await test.deps.withRedis((client) => client.ping())).toBe("PONG");
    const back = await test.app.inject({ method: "GET", url: "/ready" });
    expect(back.statusCode).toBe(200);
  });

  it("does not open the database breaker for a bad query, only for an outage", async () => {
    await expect(
      test.deps.withDatabase((db) =>
        db
          .selectFrom("no_such_table" as "jobs")
          .selectAll()
          .execute(),
      ),
    ).rejects.toThrow(/no such table/);
    expect(test.deps.databaseBreaker.isOpen).toBe(false);
  });
});

describe("a PostgreSQL that does not answer", () => {
  it("opens the database breaker and answers 503, never a bare 500", async () => {
    const port = await freePort();
    const database = await openDatabase(`postgres://postgres@127.0.0.1:${port}/test`, { poolSize: 1 });
    const { createDependencies } = await import("../src/connections/server-dependencies.js");
    const { openServerRedis } = await import("../src/connections/server-redis.js");
    const { testConfig, REDIS_URL } = await import("./helpers/app.js");
    const redis = openServerRedis(REDIS_URL);
    const deps = createDependencies({ config: testConfig(), redis, database, probeIntervalMs: 50 });
    try {
      await expect(
        deps.withDatabase((db) => db.selectFrom("jobs").selectAll().execute()),
      ).rejects.toMatchObject({
        code: "dependency_unavailable",
        dependency: "database",
      });
      expect(deps.databaseBreaker.isOpen).toBe(true);
      // While open, calls fail at once without touching the pool.
      await expect(deps.withDatabase(() => Promise.resolve("ran"))).rejects.toMatchObject({
        code: "dependency_unavailable",
      });
    } finally {
      deps.stop();
      redis.disconnect();
      await database.close();
    }
  });
});
