/**
 * Dead letters through the API, made by a real worker in the app's namespace (tasks that throw,
 * or outrun their timeout): list with filters and pages both ways, show, replay (the replay runs
 * again on the worker), and purge with its confirmation. Dead letters live in Redis only, so one
 * dialect is enough; Redis outages answer 503.
 */
import type { DeadLetter, DeadLetterList } from "@upnext/core";
import type { TaskHandle, Worker } from "upnext";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failAll, testConfig as workerTestConfig, testWorker } from "../../upnext/test/helpers/worker.js";
import { type TestApp, createTestApp } from "./helpers/app.js";
import { type ApiCall, errorOf, send } from "./helpers/api-requests.js";
import {
  type PrivateRedisApp,
  appOnPrivateRedis,
  expectRedisOutageAndRecovery,
} from "./helpers/outage-apps.js";

const ids = (list: DeadLetterList): string[] => list.items.map((entry) => entry.jobId);

describe("the dead letters API", () => {
  let test: TestApp;
  let worker: Worker;
  let charge: TaskHandle<{ order: number }, number>;
  let slow: TaskHandle<{ n: number }, number>;
  let fine: TaskHandle<null, string>;
  let healed = false;
  let charged: string[] = [];
  let timedOut: string[] = [];

  const get = (url: string) => test.app.inject({ method: "GET", url });
  const post = (url: string, body?: unknown) =>
    test.app.inject({ method: "POST", url, ...(body === undefined ? {} : { payload: body as object }) });
  const list = async (query: string): Promise<DeadLetterList> => {
    const response = await get(`/api/v1/dead-letters?${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<DeadLetterList>();
  };

  beforeAll(async () => {
    test = await createTestApp({ dialect: "sqlite", label: "dead-letters-api" });
    worker = testWorker(test.namespace, { concurrency: 20 }, workerTestConfig());
    charge = worker.task("charge", {}, (input: { order: number }) => {
      if (!healed) throw new Error(`card declined for order ${input.order}`);
      return input.order;
    });
    slow = worker.task("slow", { timeout: "50ms" }, async (input: { n: number }) => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return input.n;
    });
    fine = worker.task("fine", {}, () => "ok");
    await worker.start();
    charged = await failAll(await charge.submitMany([1, 2, 3, 4, 5].map((order) => ({ order }))), {
      timeout: "10s",
    });
    timedOut = await failAll(await slow.submitMany([{ n: 1 }, { n: 2 }]), { timeout: "10s" });
  });

  afterAll(async () => {
    await worker.stop();
    await test.close();
  });

  it("lists every entry newest first with its error, input and link to the job", async () => {
    const all = await list("limit=100");
    expect(ids(all).sort()).toEqual([...charged, ...timedOut].sort());
    const times = all.items.map((entry) => Date.parse(entry.failedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const first = all.items.find((entry) => entry.jobId === charged[0]);
    expect(first).toMatchObject({
      function: "charge",
      reason: "exception",
      attempts: 1,
      input: { order: 1 },
      error: { message: "card declined for order 1" },
      replayedAs: null,
      href: `/api/v1/jobs/${charged[0] ?? ""}`,
    });
    expect(first?.failedAt).toMatch(/Z$/);
    expect(all.page).toMatchObject({ next: null, prev: null });
  });

  it("filters by function, reason and time range", async () => {
    expect(ids(await list("function=slow")).sort()).toEqual([...timedOut].sort());
    expect(ids(await list("reason=timeout")).sort()).toEqual([...timedOut].sort());
    expect(ids(await list("reason=exception&function=slow"))).toEqual([]);
    const all = (await list("limit=100")).items;
    const pivot = all[Math.floor(all.length / 2)]?.failedAt ?? "";
    const since = await list(`from=${encodeURIComponent(pivot)}&limit=100`);
    const before = await list(`to=${encodeURIComponent(pivot)}&limit=100`);
    expect(since.items.every((entry) => entry.failedAt >= pivot)).toBe(true);
    expect(before.items.every((entry) => entry.failedAt < pivot)).toBe(true);
    expect(since.items.length + before.items.length).toBe(all.length);
    const inverted = await get(`/api/v1/dead-letters?from=${Date.parse(pivot)}&to=${Date.parse(pivot)}`);
    expect(inverted.statusCode).toBe(400);
    expect(errorOf(inverted).message).toContain("from");
  });

  it("pages with next and prev links that walk the same pages both ways", async () => {
    const all = ids(await list("limit=100"));
    const pages: string[][] = [];
    let url: string | null = "/api/v1/dead-letters?limit=2";
    let last: DeadLetterList | undefined;
    while (url !== null) {
      const page: DeadLetterList = (await get(url)).json<DeadLetterList>();
      pages.push(ids(page));
      last = page;
      url = page.page.next;
    }
    expect(pages.flat()).toEqual(all);
    const backward: string[][] = [];
    let prev = last?.page.prev ?? null;
    while (prev !== null) {
      const page: DeadLetterList = (await get(prev)).json<DeadLetterList>();
      backward.push(ids(page));
      prev = page.page.prev;
    }
    expect(backward).toEqual(pages.slice(0, -1).reverse());
    expect((await get("/api/v1/dead-letters?cursor=garbage")).statusCode).toBe(400);
    expect((await get("/api/v1/dead-letters?reason=bored")).statusCode).toBe(400);
  });

  it("shows one entry; a job that is not dead-lettered is a 404 with its status", async () => {
    const id = timedOut[0] ?? "";
    const shown = await get(`/api/v1/dead-letters/${id}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.json<DeadLetter>()).toMatchObject({ jobId: id, function: "slow", reason: "timeout" });
    const ok = await fine.submit(null);
    await ok.result({ timeout: "5s" });
    const notDead = await get(`/api/v1/dead-letters/${ok.id}`);
    expect(notDead.statusCode).toBe(404);
    expect(errorOf(notDead).details).toMatchObject({ status: "complete" });
    expect((await get("/api/v1/dead-letters/01NOSUCHJOB0000000000000000")).statusCode).toBe(404);
    expect((await get(`/api/v1/dead-letters/${"x".repeat(65)}`)).statusCode).toBe(400);
  });

  it("replays an entry: the new job runs; the entry records it; a second replay needs force", async () => {
    healed = true;
    const id = charged[0] ?? "";
    const response = await post(`/api/v1/dead-letters/${id}/replay`);
    expect(response.statusCode).toBe(201);
    const body = response.json<{ replayOf: string; job: { id: string; function: string } }>();
    expect(body).toMatchObject({ replayOf: id, deadLettered: true, job: { function: "charge" } });
    expect(await charge.ref(body.job.id).result({ timeout: "5s" })).toBe(1);
    expect((await get(`/api/v1/dead-letters/${id}`)).json<DeadLetter>().replayedAs).toBe(body.job.id);
    const again = await post(`/api/v1/dead-letters/${id}/replay`);
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).details).toMatchObject({ replayedAs: body.job.id });
    expect((await post(`/api/v1/dead-letters/${id}/replay`, { force: true })).statusCode).toBe(201);
    expect(ids(await list("replayed=true"))).toEqual([id]);
    expect(ids(await list("replayed=false&limit=100"))).not.toContain(id);
    const completed = await post(`/api/v1/dead-letters/${body.job.id}/replay`);
    expect(completed.statusCode).toBe(409);
    expect(errorOf(completed).details).toMatchObject({ status: "complete" });
  });

  it("purges only after confirmation with the count (or yes), within the filters", async () => {
    const noScope = await post("/api/v1/dead-letters/purge", { confirm: "yes" });
    expect(noScope.statusCode).toBe(400);
    expect(errorOf(noScope).details).toMatchObject({ field: "function" });
    const both = await post("/api/v1/dead-letters/purge", { function: "charge", all: true, confirm: "yes" });
    expect(both.statusCode).toBe(400);
    const badAge = await post("/api/v1/dead-letters/purge", { all: true, olderThan: "ages" });
    expect(badAge.statusCode).toBe(400);
    expect(errorOf(badAge).details).toMatchObject({ field: "olderThan" });

    // Nothing died an hour ago.
    const old = await post("/api/v1/dead-letters/purge", { all: true, olderThan: "1h", confirm: "yes" });
    expect(old.json()).toEqual({ matched: 0, purged: 0 });

    const dryRun = await post("/api/v1/dead-letters/purge", { function: "charge" });
    expect(dryRun.statusCode).toBe(400);
    expect(errorOf(dryRun).details).toMatchObject({ field: "confirm", matching: charged.length });
    const stale = await post("/api/v1/dead-letters/purge", {
      function: "charge",
      confirm: charged.length + 1,
    });
    expect(stale.statusCode).toBe(409);
    expect(ids(await list("function=charge&limit=100"))).toHaveLength(charged.length);

    const purged = await post("/api/v1/dead-letters/purge", { function: "charge", confirm: charged.length });
    expect(purged.statusCode).toBe(200);
    expect(purged.json()).toEqual({ matched: charged.length, purged: charged.length });
    expect(ids(await list("function=charge"))).toEqual([]);
    expect((await get(`/api/v1/dead-letters/${charged[1] ?? ""}`)).statusCode).toBe(404);

    const byReason = await post("/api/v1/dead-letters/purge", {
      all: true,
      reason: "timeout",
      confirm: "yes",
    });
    expect(byReason.json()).toEqual({ matched: timedOut.length, purged: timedOut.length });
    expect(ids(await list("limit=100"))).toEqual([]);
  });
});

describe("the dead letters API while Redis is down", () => {
  let outage: PrivateRedisApp;
  beforeAll(async () => {
    outage = await appOnPrivateRedis({ dialect: "sqlite", label: "dead-letters-outage" });
  });
  afterAll(async () => {
    await outage.close();
  });

  const calls: [ApiCall, ...ApiCall[]] = [
    ["GET", "/api/v1/dead-letters"],
    ["GET", "/api/v1/dead-letters/01NOSUCHJOB0000000000000000"],
    ["POST", "/api/v1/dead-letters/01NOSUCHJOB0000000000000000/replay"],
    ["POST", "/api/v1/dead-letters/purge", { all: true, confirm: "yes" }],
  ];

  it("answers 503 dependency_unavailable for every endpoint, then recovers by itself", async () => {
    await expectRedisOutageAndRecovery(outage, calls);
    expect((await send(outage.test.app, calls[1] ?? ["GET", ""])).statusCode).toBe(404);
    expect((await send(outage.test.app, calls[3] ?? ["GET", ""])).json()).toEqual({ matched: 0, purged: 0 });
  });
});
