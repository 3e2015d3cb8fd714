/**
 * Cron schedules managed through the API while a real worker runs in the app's namespace: a
 * schedule created by PUT fires on the worker without a restart; pause, resume, trigger and
 * delete act on it; bad definitions are 400s naming the field; the list pages by name. The
 * schedules live in Redis only, so one dialect is enough; Redis outages answer 503.
 */
import type { JobOrigin, Schedule, ScheduleList } from "@upnext/core";
import type { Worker } from "upnext";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../upnext/test/helpers/redis.js";
import { testConfig as workerTestConfig, testWorker } from "../../upnext/test/helpers/worker.js";
import { type TestApp, createTestApp } from "./helpers/app.js";
import { type ApiCall, errorOf, send } from "./helpers/api-requests.js";
import {
  type PrivateRedisApp,
  appOnPrivateRedis,
  expectRedisOutageAndRecovery,
} from "./helpers/outage-apps.js";

interface Run {
  readonly jobId: string;
  readonly input: unknown;
  readonly origin: JobOrigin | null;
}

describe("the schedules API", () => {
  let test: TestApp;
  let worker: Worker;
  const runs: Run[] = [];

  beforeAll(async () => {
    test = await createTestApp({ dialect: "sqlite", label: "schedules-api" });
    worker = testWorker(test.namespace, { name: "cron-api" }, workerTestConfig());
    worker.task("report", {}, (input: unknown, ctx) => {
      runs.push({ jobId: ctx.jobId, input, origin: ctx.origin });
      return null;
    });
    await worker.start();
  });

  afterAll(async () => {
    await worker.stop();
    await test.close();
  });

  const put = (name: string, body: unknown) =>
    test.app.inject({ method: "PUT", url: `/api/v1/schedules/${name}`, payload: body as object });
  const post = (url: string) => test.app.inject({ method: "POST", url });
  const get = (url: string) => test.app.inject({ method: "GET", url });

  it("creates a schedule (201) that a running worker fires without a restart", async () => {
    const created = await put("every-second", {
      task: "report",
      cron: "* * * * * *",
      input: { region: "eu" },
      overlap: "skip",
    });
    expect(created.statusCode).toBe(201);
    expect(created.json<Schedule>()).toMatchObject({
      name: "every-second",
      task: "report",
      cron: "* * * * * *",
      timezone: "UTC",
      missedRuns: "skip",
      overlap: "skip",
      input: { region: "eu" },
      paused: false,
      source: "api",
    });
    expect(created.json<Schedule>().nextSlot).toMatch(/Z$/);
    const run = await eventually(
      () => runs.find((r) => r.origin?.kind === "cron" && r.origin.schedule === "every-second"),
      "a run of the schedule created through the API",
    );
    expect(run.input).toEqual({ region: "eu" });
    const shown = await get("/api/v1/schedules/every-second");
    expect(shown.statusCode).toBe(200);
    expect(shown.json<Schedule>().runs).toBeGreaterThanOrEqual(1);
  });

  it("replaces a definition (200), keeping its pause; pause and resume answer the new state", async () => {
    const paused = await post("/api/v1/schedules/every-second/pause");
    expect(paused.statusCode).toBe(200);
    expect(paused.json<Schedule>()).toMatchObject({ paused: true });
    expect(paused.json<Schedule>().pausedAt).toMatch(/Z$/);
    const replaced = await put("every-second", {
      task: "report",
      cron: "0 3 * * *",
      timezone: "Europe/Paris",
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json<Schedule>()).toMatchObject({
      cron: "0 3 * * *",
      timezone: "Europe/Paris",
      paused: true,
      input: null,
      overlap: "allow",
    });
    const resumed = await post("/api/v1/schedules/every-second/resume");
    expect(resumed.json<Schedule>()).toMatchObject({ paused: false });
  });

  it("triggers one run now with the schedule's input", async () => {
    await put("nightly", { task: "report", cron: "0 2 * * *", input: { full: true } });
    const response = await post("/api/v1/schedules/nightly/trigger");
    expect(response.statusCode).toBe(201);
    const body = response.json<{ schedule: string; job: { id: string; function: string; href: string } }>();
    expect(body).toMatchObject({ schedule: "nightly", job: { function: "report" } });
    expect(body.job.href).toBe(`/api/v1/jobs/${body.job.id}`);
    const run = await eventually(() => runs.find((r) => r.jobId === body.job.id), "the triggered run");
    expect(run.input).toEqual({ full: true });
    expect(run.origin).toMatchObject({ kind: "cron", schedule: "nightly", catchUp: false });
  });

  it("rejects a bad definition with a 400 naming the field and why; nothing is stored", async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ cron: "61 * * * *" }, "cron", /cron/],
      [{ cron: "* * *" }, "cron", /5 fields.*this one has 3/],
      [{ cron: "0 2 * * *", timezone: "Mars/Olympus" }, "timezone", /time zone/],
      [{ cron: "0 2 * * *", catchUpWindow: "2h" }, "catchUpWindow", /missedRuns: "all"/],
      [{ cron: "0 2 * * *", missedRuns: "all", catchUpWindow: "soon" }, "catchUpWindow", /catchUpWindow/],
      [{ cron: "0 2 * * *", task: "bad task!" }, "task", /task/],
    ];
    for (const [body, field, why] of cases) {
      const response = await put("broken", body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(errorOf(response).details).toMatchObject({ field });
      expect(errorOf(response).message).toMatch(why);
    }
    const schema: [unknown, RegExp][] = [
      [{}, /cron/],
      [{ cron: "0 2 * * *", missedRuns: "sometimes" }, /missedRuns/],
      [{ cron: "0 2 * * *", overlap: "maybe" }, /overlap/],
      [{ cron: "0 2 * * *", colour: "red" }, /colour/],
    ];
    for (const [body, why] of schema) {
      const response = await put("broken", body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(errorOf(response).message).toMatch(why);
    }
    expect((await get("/api/v1/schedules/broken")).statusCode).toBe(404);
    const badName = await put("bad%20name", { cron: "0 2 * * *" });
    expect(badName.statusCode).toBe(400);
    expect(errorOf(badName).message).toContain("schedule name");
  });

  it("lists schedules by name with next and prev links, and filters by task", async () => {
    for (const name of ["a-one", "b-two", "c-three", "d-four"]) {
      await put(name, { task: name === "b-two" ? "other" : "report", cron: "0 4 * * *" });
    }
    const all = (await get("/api/v1/schedules?limit=100")).json<ScheduleList>().items.map((s) => s.name);
    expect(all).toEqual([...all].sort());
    const pages: string[][] = [];
    let url: string | null = "/api/v1/schedules?limit=2";
    let last: ScheduleList | undefined;
    while (url !== null) {
      const page: ScheduleList = (await get(url)).json<ScheduleList>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      pages.push(page.items.map((s) => s.name));
      last = page;
      url = page.page.next;
    }
    expect(pages.flat()).toEqual(all);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const back = (await get(last?.page.prev ?? "")).json<ScheduleList>();
    expect(back.items.map((s) => s.name)).toEqual(pages.at(-2));
    const others = (await get("/api/v1/schedules?task=other")).json<ScheduleList>();
    expect(others.items.map((s) => s.name)).toEqual(["b-two"]);
    expect((await get("/api/v1/schedules?limit=0")).statusCode).toBe(400);
    expect((await get("/api/v1/schedules?cursor=garbage")).statusCode).toBe(400);
  });

  it("deletes a schedule (204); then it is a 404 everywhere", async () => {
    const removed = await test.app.inject({ method: "DELETE", url: "/api/v1/schedules/nightly" });
    expect(removed.statusCode).toBe(204);
    for (const response of [
      await get("/api/v1/schedules/nightly"),
      await test.app.inject({ method: "DELETE", url: "/api/v1/schedules/nightly" }),
      await post("/api/v1/schedules/nightly/pause"),
      await post("/api/v1/schedules/nightly/resume"),
      await post("/api/v1/schedules/nightly/trigger"),
    ]) {
      expect(response.statusCode).toBe(404);
      expect(errorOf(response).code).toBe("not_found");
    }
  });
});

describe("the schedules API while Redis is down", () => {
  let outage: PrivateRedisApp;
  beforeAll(async () => {
    outage = await appOnPrivateRedis({ dialect: "sqlite", label: "schedules-outage" });
  });
  afterAll(async () => {
    await outage.close();
  });

  const calls: [ApiCall, ...ApiCall[]] = [
    ["GET", "/api/v1/schedules"],
    ["GET", "/api/v1/schedules/s1"],
    ["PUT", "/api/v1/schedules/s1", { task: "report", cron: "0 2 * * *" }],
    ["POST", "/api/v1/schedules/s1/pause"],
    ["POST", "/api/v1/schedules/s1/resume"],
    ["POST", "/api/v1/schedules/s1/trigger"],
    ["DELETE", "/api/v1/schedules/s1"],
  ];

  it("answers 503 dependency_unavailable for every endpoint, then recovers by itself", async () => {
    await expectRedisOutageAndRecovery(outage, calls);
    expect((await send(outage.test.app, calls[2] ?? ["GET", ""])).statusCode).toBe(201);
    expect((await send(outage.test.app, calls[1] ?? ["GET", ""])).statusCode).toBe(200);
  });
});
