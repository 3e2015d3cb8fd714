import {
  type JobDetail,
  type JobEventList,
  type JobList,
  type JobLogList,
  type JobTimeline,
  JOB_KINDS as CONTRACT_JOB_KINDS,
  jobDetailSchema,
  jobListSchema,
} from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeTypedCursor } from "../src/http/pagination.js";
import { searchJobs } from "../src/store/job-search.js";
import { tagCondition } from "../src/store/tag-filter.js";
import { JOB_KINDS } from "../src/store/schema.js";
import { type TestApp, createTestApp } from "./helpers/app.js";
import { DIALECTS } from "./helpers/database.js";
import { errorOf, expectUnavailable, getOk } from "./helpers/api-requests.js";
import { type OutageApp, appWithDatabaseDown } from "./helpers/outage-apps.js";
import { type SeedJob, type SeedEvent, insertEvents, insertJobs } from "./helpers/seed-history.js";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const FUNCTIONS = ["email.send", "report.build", "billing.charge"] as const;
// Seven statuses against three functions: every function gets every status.
const STATUS_CYCLE = ["complete", "failed", "queued", "active", "cancelled", "complete", "retrying"] as const;
const MANY = 90;

interface Seeded {
  all: { id: string; created_at: number; function: string; status: string }[];
  percent: string;
  underscore: string;
  decoyPercent: string;
  decoyUnderscore: string;
  root: string;
  child1: string;
  child2: string;
  lateChild: string;
  grandchild: string;
  dag: string;
  external: string;
  eventsJob: string;
}

function newestFirst<T extends { created_at: number; id: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => b.created_at - a.created_at || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0));
}

async function seed(test: TestApp): Promise<Seeded> {
  const db = test.database.database.db;
  const seeds: SeedJob[] = [];
  for (let index = 0; index < MANY; index++) {
    const tagMap: Record<string, string> = {};
    if (index % 4 === 0) tagMap.tenant = "acme";
    if (index % 8 === 0) tagMap.region = "eu";
    const status = STATUS_CYCLE[index % STATUS_CYCLE.length] ?? "complete";
    seeds.push({
      function: FUNCTIONS[index % FUNCTIONS.length] ?? "email.send",
      status,
      kind: index % 10 === 0 ? "cron" : "task",
      // Pairs share a creation time, so the id breaks the tie in the keyset.
      created_at: T0 + Math.floor(index / 2) * 1_000,
      ...(status === "active" || status === "complete" || status === "failed" || status === "retrying"
        ? { worker_id: index % 5 === 0 ? "worker-2-abcdef02" : "worker-1-abcdef01" }
        : {}),
      ...(Object.keys(tagMap).length > 0 ? { tagMap } : {}),
    });
  }
  const rows = await insertJobs(db, seeds);
  const failedAt = T0 + 100_000;
  const [percent, decoyPercent, underscore, decoyUnderscore] = await insertJobs(db, [
    {
      status: "failed",
      created_at: failedAt,
      error_message: "Quota 100% used up",
      function: "billing.charge",
    },
    {
      status: "failed",
      created_at: failedAt + 1,
      error_message: "Quota 1000 used up",
      function: "billing.charge",
    },
    {
      status: "failed",
      created_at: failedAt + 2,
      error_message: "Rate exceeded_limit",
      function: "billing.charge",
    },
    {
      status: "failed",
      created_at: failedAt + 3,
      error_message: "Rate exceededXlimit",
      function: "billing.charge",
    },
  ]);
  const treeAt = T0 + 200_000;
  const [external] = await insertJobs(db, [{ created_at: treeAt - 50_000, function: "report.build" }]);
  const [root] = await insertJobs(db, [{ created_at: treeAt, function: "report.build" }]);
  const rootId = root?.id ?? "";
  const [child1, child2] = await insertJobs(db, [
    { created_at: treeAt + 1_000, parent_id: rootId, reported_parent_id: rootId, root_id: rootId },
    { created_at: treeAt + 2_000, parent_id: rootId, reported_parent_id: rootId, root_id: rootId },
  ]);
  const [grandchild, lateChild, dag] = await insertJobs(db, [
    { created_at: treeAt + 3_000, parent_id: child1?.id, reported_parent_id: child1?.id, root_id: rootId },
    // Ingested before its parent was linked: only the reported parent is known.
    { created_at: treeAt + 4_000, parent_id: null, reported_parent_id: rootId, root_id: rootId },
    {
      created_at: treeAt + 5_000,
      root_id: rootId,
      status: "queued",
      dependsOnIds: [child1?.id ?? "", external?.id ?? "", "GONE0000000000000000000000"],
    },
  ]);
  const eventsJob = rows[0]?.id ?? "";
  const events: SeedEvent[] = [];
  for (let index = 0; index < 25; index++) {
    const at = T0 + 10 + Math.floor(index / 3);
    events.push(
      index % 2 === 0
        ? {
            id: `${at}-${index}`,
            job_id: eventsJob,
            type: "log",
            attempt: 1,
            at,
            data: { level: index % 4 === 0 ? "warn" : "info", message: `line ${index}`, fields: { index } },
          }
        : {
            id: `${at}-${index}`,
            job_id: eventsJob,
            type: "progress",
            attempt: 1,
            at,
            data: { progress: index / 25 },
          },
    );
  }
  await insertEvents(db, events);
  const all = [...rows, percent, decoyPercent, underscore, decoyUnderscore, external, root, child1, child2]
    .concat([grandchild, lateChild, dag])
    .map((row) => ({
      id: row?.id ?? "",
      created_at: row?.created_at ?? 0,
      function: row?.function ?? "",
      status: row?.status ?? "",
    }));
  const id = (row: { id: string } | undefined): string => row?.id ?? "";
  return {
    all,
    percent: id(percent),
    decoyPercent: id(decoyPercent),
    underscore: id(underscore),
    decoyUnderscore: id(decoyUnderscore),
    root: rootId,
    child1: id(child1),
    child2: id(child2),
    grandchild: id(grandchild),
    lateChild: id(lateChild),
    dag: id(dag),
    external: id(external),
    eventsJob,
  };
}

describe.each(DIALECTS)("jobs API on %s", (dialect) => {
  let test: TestApp;
  let seeded: Seeded;

  beforeAll(async () => {
    test = await createTestApp({ dialect, label: "jobs-api" });
    seeded = await seed(test);
  });
  afterAll(async () => {
    await test.close();
  });

  const get = <T>(url: string): Promise<T> => getOk<T>(test.app, url);

  async function ids(url: string): Promise<string[]> {
    return (await get<JobList>(url)).items.map((item) => item.id);
  }

  async function badRequest(url: string): Promise<{ code: string; message: string }> {
    const response = await test.app.inject({ method: "GET", url });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
    return errorOf(response);
  }

  it("documents every read endpoint in the OpenAPI spec", async () => {
    const response = await test.app.inject({ method: "GET", url: "/api/v1/docs/json" });
    const paths = Object.keys(response.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/api/v1/jobs",
        "/api/v1/jobs/{id}",
        "/api/v1/jobs/{id}/timeline",
        "/api/v1/jobs/{id}/events",
        "/api/v1/jobs/{id}/logs",
        "/api/v1/jobs/stats",
        "/api/v1/jobs/trends",
        "/api/v1/functions",
        "/api/v1/functions/{name}",
        "/api/v1/workers",
        "/api/v1/workers/{id}",
        "/api/v1/queues",
        "/api/v1/dashboard/summary",
      ]),
    );
  });

  it("keeps the contract's job kinds equal to the store's", () => {
    expect([...CONTRACT_JOB_KINDS]).toEqual([...JOB_KINDS]);
  });

  it("lists every job newest first, forward and back across pages, without duplicates or gaps", async () => {
    const expected = newestFirst(seeded.all).map((row) => row.id);
    const pages: string[][] = [];
    let url: string | null = "/api/v1/jobs?limit=7";
    while (url !== null) {
      const body: JobList = await get<JobList>(url);
      jobListSchema.parse(body);
      pages.push(body.items.map((item) => item.id));
      if (pages.length === 1) expect(body.page.prev).toBeNull();
      url = body.page.next;
    }
    expect(pages.flat()).toEqual(expected);
    expect(pages.at(-1)?.length).toBeLessThanOrEqual(7);

    // Back from the last page to the first through the prev links: the same pages in reverse.
    let last: JobList = await get<JobList>(`/api/v1/jobs?limit=7`);
    for (let index = 1; index < pages.length; index++) {
      last = await get<JobList>(last.page.next ?? "");
    }
    const backwards: string[][] = [last.items.map((item) => item.id)];
    let prev = last.page.prev;
    while (prev !== null) {
      const body: JobList = await get<JobList>(prev);
      backwards.unshift(body.items.map((item) => item.id));
      prev = body.page.prev;
    }
    expect(backwards).toEqual(pages);
  });

  it("keeps paging stable when jobs are added between pages", async () => {
    const first = await get<JobList>("/api/v1/jobs?limit=10&function=report.build");
    const newer = await insertJobs(test.database.database.db, [
      { function: "report.build", created_at: T0 + 10_000_000 },
      { function: "report.build", created_at: T0 + 10_000_001 },
    ]);
    const seen = first.items.map((item) => item.id);
    let next = first.page.next;
    while (next !== null) {
      const body: JobList = await get<JobList>(next);
      seen.push(...body.items.map((item) => item.id));
      next = body.page.next;
    }
    const expected = newestFirst(seeded.all.filter((row) => row.function === "report.build")).map(
      (row) => row.id,
    );
    expect(seen).toEqual(expected);
    // The new jobs are on the page before the first one.
    const before = await get<JobList>(first.page.next ?? "").then((page) =>
      get<JobList>(page.page.prev ?? ""),
    );
    expect(before.items.map((item) => item.id)).toEqual(first.items.map((item) => item.id));
    const newest = await ids("/api/v1/jobs?limit=2&function=report.build");
    expect(newest.sort()).toEqual(newer.map((row) => row.id).sort());
    await test.database.database.db
      .deleteFrom("jobs")
      .where(
        "id",
        "in",
        newer.map((row) => row.id),
      )
      .execute();
  });

  it("filters by function, status and kind, one or many values", async () => {
    const fnIds = await ids("/api/v1/jobs?limit=500&function=email.send");
    expect(fnIds.sort()).toEqual(
      seeded.all
        .filter((row) => row.function === "email.send")
        .map((row) => row.id)
        .sort(),
    );
    const two = await ids("/api/v1/jobs?limit=500&function=email.send&function=billing.charge");
    const comma = await ids("/api/v1/jobs?limit=500&function=email.send,billing.charge");
    expect(two).toEqual(comma);
    expect(two.length).toBe(seeded.all.filter((row) => row.function !== "report.build").length);

    const failed = await get<JobList>("/api/v1/jobs?limit=500&status=failed");
    expect(failed.items.every((item) => item.status === "failed")).toBe(true);
    expect(failed.items.length).toBe(seeded.all.filter((row) => row.status === "failed").length);
    const both = await get<JobList>(
      "/api/v1/jobs?limit=500&status=failed&status=cancelled&function=billing.charge",
    );
    expect(new Set(both.items.map((item) => item.status))).toEqual(new Set(["failed", "cancelled"]));
    expect(both.items.every((item) => item.function === "billing.charge")).toBe(true);

    const cron = await get<JobList>("/api/v1/jobs?limit=500&kind=cron");
    expect(cron.items.length).toBe(MANY / 10);
    expect(cron.items.every((item) => item.kind === "cron")).toBe(true);
  });

  it("filters by creation time with ISO-8601 or epoch milliseconds, to exclusive", async () => {
    const from = T0 + 10_000;
    const to = T0 + 20_000;
    const expected = seeded.all
      .filter((row) => row.created_at >= from && row.created_at < to)
      .map((row) => row.id);
    const iso = await ids(
      `/api/v1/jobs?limit=500&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
    );
    const epoch = await ids(`/api/v1/jobs?limit=500&from=${from}&to=${to}`);
    const offset = await ids(`/api/v1/jobs?limit=500&from=2026-01-15T13:00:10%2B01:00&to=${to}`);
    expect(iso.sort()).toEqual(expected.sort());
    expect(epoch.sort()).toEqual(expected.sort());
    expect(offset.sort()).toEqual(expected.sort());
    expect(expected.length).toBe(20);
  });

  it("filters by tags (every given tag), worker, parent and root", async () => {
    const acme = await get<JobList>("/api/v1/jobs?limit=500&tag=tenant:acme");
    const every = (n: number): number => Math.ceil(MANY / n);
    expect(acme.items.length).toBe(every(4));
    expect(acme.items.every((item) => item.tags.tenant === "acme")).toBe(true);
    const acmeEu = await get<JobList>("/api/v1/jobs?limit=500&tag=tenant:acme&tag=region:eu");
    expect(acmeEu.items.length).toBe(every(8));
    expect(await ids("/api/v1/jobs?tag=tenant:nobody")).toEqual([]);
    // Both ways of applying a tag (looked up first, or checked per walked row) select the same jobs.
    for (const drives of [true, false]) {
      const rows = await test.database.database.db
        .selectFrom("jobs")
        .select("id")
        .where((eb) => tagCondition(eb, { key: "tenant", value: "acme" }, drives))
        .execute();
      expect(rows.map((row) => row.id).sort()).toEqual(acme.items.map((item) => item.id).sort());
    }

    const worker2 = await get<JobList>("/api/v1/jobs?limit=500&workerId=worker-2-abcdef02");
    expect(worker2.items.length).toBeGreaterThan(0);
    expect(worker2.items.every((item) => item.workerId === "worker-2-abcdef02")).toBe(true);

    const children = await ids(`/api/v1/jobs?parentId=${seeded.root}`);
    expect(children.sort()).toEqual([seeded.child1, seeded.child2, seeded.lateChild].sort());
    const tree = await ids(`/api/v1/jobs?rootId=${seeded.root}`);
    expect(tree.sort()).toEqual(
      [seeded.root, seeded.child1, seeded.child2, seeded.grandchild, seeded.lateChild, seeded.dag].sort(),
    );
  });

  it("searches ids and error messages, case-insensitively, with LIKE wildcards taken literally", async () => {
    expect(await ids(`/api/v1/jobs?q=${seeded.root}`)).toEqual([seeded.root]);
    const prefix = seeded.percent.slice(0, 20);
    expect(await ids(`/api/v1/jobs?q=${prefix}`)).toContain(seeded.percent);
    expect(await ids("/api/v1/jobs?q=100%25")).toEqual([seeded.percent]);
    expect(await ids("/api/v1/jobs?q=EXCEEDED_limit")).toEqual([seeded.underscore]);
    expect((await ids("/api/v1/jobs?q=quota")).sort()).toEqual([seeded.percent, seeded.decoyPercent].sort());
    expect(await ids("/api/v1/jobs?q=%25")).toEqual([seeded.percent]);
  });

  it("bounds the jobs a search examines per request, and carries on from there with its cursors", async () => {
    const db = test.database.database.db;
    const expected = (await ids("/api/v1/jobs?limit=500&q=BOOM")).filter(Boolean);
    expect(expected.length).toBeGreaterThan(10);
    const scanRows = 10;
    const decode = (cursor: string | null) =>
      cursor === null ? undefined : decodeTypedCursor(cursor, ["number", "string"]);
    const forward: string[][] = [];
    let shortPageWithNext = false;
    let page = await searchJobs(db, { q: "boom" }, { limit: 5, cursor: undefined }, scanRows);
    for (;;) {
      forward.push(page.items.map((item) => item.id));
      if (page.items.length < 5 && page.nextCursor !== null) shortPageWithNext = true;
      if (page.nextCursor === null) break;
      page = await searchJobs(db, { q: "boom" }, { limit: 5, cursor: decode(page.nextCursor) }, scanRows);
    }
    expect(forward.flat()).toEqual(expected);
    expect(shortPageWithNext).toBe(true);

    const backward: string[][] = [];
    let prev = page.prevCursor;
    while (prev !== null) {
      const before = await searchJobs(db, { q: "boom" }, { limit: 5, cursor: decode(prev) }, scanRows);
      backward.unshift(before.items.map((item) => item.id));
      prev = before.prevCursor;
    }
    expect([...backward.flat(), ...page.items.map((item) => item.id)]).toEqual(expected);
  });

  it("finds an exact id or an id prefix at any age, past the text search's scan bound", async () => {
    const db = test.database.database.db;
    const scanRows = 10;
    const oldest = [...seeded.all].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
    const first = oldest[0];
    if (first === undefined) throw new Error("no seeded jobs");
    const exact = await searchJobs(db, { q: first.id }, { limit: 5, cursor: undefined }, scanRows);
    expect(exact.items.map((item) => item.id)).toEqual([first.id]);
    expect(await ids(`/api/v1/jobs?q=${first.id}`)).toEqual([first.id]);

    // A prefix several old ids share: every one of them, newest id first, page after page.
    const prefix = first.id.slice(0, 7);
    const sharing = (await db.selectFrom("jobs").select("id").execute())
      .map((row) => row.id)
      .filter((id) => id.startsWith(prefix))
      .sort()
      .reverse();
    expect(sharing.length).toBeGreaterThan(2);
    const decode = (cursor: string | null) =>
      cursor === null ? undefined : decodeTypedCursor(cursor, ["number", "string"]);
    const pages: string[][] = [];
    let page = await searchJobs(db, { q: prefix }, { limit: 2, cursor: undefined }, scanRows);
    pages.push(page.items.map((item) => item.id));
    while (page.nextCursor !== null) {
      page = await searchJobs(db, { q: prefix }, { limit: 2, cursor: decode(page.nextCursor) }, scanRows);
      pages.push(page.items.map((item) => item.id));
    }
    expect(pages.flat()).toEqual(sharing);
    const back = await searchJobs(db, { q: prefix }, { limit: 2, cursor: decode(page.prevCursor) }, scanRows);
    expect(back.items.map((item) => item.id)).toEqual(pages.at(-2));
    // The other filters still apply to an id search.
    const failedOnly = await searchJobs(
      db,
      { q: first.id, statuses: first.status === "failed" ? ["complete"] : ["failed"] },
      { limit: 5, cursor: undefined },
      scanRows,
    );
    expect(failedOnly.items).toEqual([]);
  });

  it("answers 400 naming each bad parameter and value, with what is allowed", async () => {
    const status = await badRequest("/api/v1/jobs?status=foo");
    expect(status.code).toBe("validation_failed");
    expect(status.message).toContain("status");
    expect(status.message).toContain('"foo"');
    expect(status.message).toContain(
      "waiting, scheduled, queued, active, retrying, complete, failed, cancelled",
    );
    const cases: [string, string][] = [
      ["function=bad%20name", "function"],
      ["function=" + "a".repeat(200), "function"],
      ["kind=batch", "kind"],
      ["from=yesterday", "from"],
      ["to=2026-01-15T12:00:00", "to"],
      ["tag=novalue", "tag"],
      ["tag=:empty-key", "tag"],
      ["parentId=" + "x".repeat(65), "parentId"],
      ["rootId=bad.id", "rootId"],
      ["workerId=bad%20worker", "workerId"],
      ["q=" + "x".repeat(201), "q"],
      ["q=%20", "q"],
      ["limit=0", "limit"],
      ["limit=501", "limit"],
      ["limit=ten", "limit"],
    ];
    for (const [query, parameter] of cases) {
      const error = await badRequest(`/api/v1/jobs?${query}`);
      expect(error.message, query).toContain(`querystring ${parameter}`);
    }
    const order = await badRequest(`/api/v1/jobs?from=${T0 + 1}&to=${T0}`);
    expect(order.message).toContain("`from`");
    const garbage = await badRequest("/api/v1/jobs?cursor=not-a-cursor");
    expect(garbage.message).toContain("cursor");
    const forged = Buffer.from(JSON.stringify(["a", "not-a-time", "id"])).toString("base64url");
    expect((await badRequest(`/api/v1/jobs?cursor=${forged}`)).message).toContain("cursor");
  });

  it("shows one job in full, with its DAG parents and children count, and 404s an unknown id", async () => {
    const failedRow = seeded.all.find((row) => row.status === "failed" && row.function === "email.send");
    const failed = await get<JobDetail>(`/api/v1/jobs/${failedRow?.id ?? ""}`);
    jobDetailSchema.parse(failed);
    expect(failed.status).toBe("failed");
    expect(failed.error?.message).toBe(`boom in ${failedRow?.id ?? ""}`);
    expect(failed.error?.stack).toContain("at handler");
    expect(failed.input).toEqual({ to: `user-${failedRow?.id ?? ""}@example.com` });
    expect(failed.metadata).toEqual({ source: "seed" });
    expect(failed.createdAt).toMatch(/Z$/);
    expect(failed.attempt).toBe(1);

    const root = await get<JobDetail>(`/api/v1/jobs/${seeded.root}`);
    expect(root.childrenCount).toBe(3);
    const dag = await get<JobDetail>(`/api/v1/jobs/${seeded.dag}`);
    expect(dag.dependsOn).toEqual([seeded.child1, seeded.external, "GONE0000000000000000000000"]);
    expect(dag.dagParents.map((parent) => parent.id).sort()).toEqual([seeded.child1, seeded.external].sort());
    const late = await get<JobDetail>(`/api/v1/jobs/${seeded.lateChild}`);
    expect(late.parentId).toBe(seeded.root);

    const missing = await test.app.inject({ method: "GET", url: "/api/v1/jobs/NOPE000000000000000000000" });
    expect(missing.statusCode).toBe(404);
    expect(errorOf(missing).code).toBe("not_found");
    expect((await badRequest("/api/v1/jobs/bad.id")).message).toContain("params id");
  });

  it("pages through a job's whole tree, oldest first, with DAG parents from other trees", async () => {
    const expected = [
      seeded.root,
      seeded.child1,
      seeded.child2,
      seeded.grandchild,
      seeded.lateChild,
      seeded.dag,
    ];
    const seen: string[] = [];
    const external: string[] = [];
    let url: string | null = `/api/v1/jobs/${seeded.grandchild}/timeline?limit=2`;
    let last: JobTimeline | undefined;
    while (url !== null) {
      const body: JobTimeline = await get<JobTimeline>(url);
      expect(body.rootId).toBe(seeded.root);
      seen.push(...body.items.map((item) => item.id));
      external.push(...body.externalParents.map((parent) => parent.id));
      last = body;
      url = body.page.next;
    }
    expect(seen).toEqual(expected);
    expect(external).toEqual([seeded.external]);
    const back = await get<JobTimeline>(last?.page.prev ?? "");
    expect(back.items.map((item) => item.id)).toEqual(expected.slice(2, 4));
    const missing = await test.app.inject({
      method: "GET",
      url: "/api/v1/jobs/NOPE000000000000000000000/timeline",
    });
    expect(missing.statusCode).toBe(404);
  });

  it("pages through a job's events by (at, id), filters them by type, and lists its logs", async () => {
    const all: string[] = [];
    let url: string | null = `/api/v1/jobs/${seeded.eventsJob}/events?limit=4`;
    while (url !== null) {
      const body: JobEventList = await get<JobEventList>(url);
      all.push(...body.items.map((item) => item.id));
      url = body.page.next;
    }
    expect(all.length).toBe(25);
    expect(new Set(all).size).toBe(25);
    const ats = all.map((id) => Number(id.split("-")[0]));
    expect([...ats].sort((a, b) => a - b)).toEqual(ats);

    const progress = await get<JobEventList>(
      `/api/v1/jobs/${seeded.eventsJob}/events?type=progress&limit=100`,
    );
    expect(progress.items.length).toBe(12);
    expect(progress.items.every((item) => item.type === "progress")).toBe(true);
    expect((await badRequest(`/api/v1/jobs/${seeded.eventsJob}/events?type=nope`)).message).toContain(
      "querystring type",
    );

    const logs = await get<JobLogList>(`/api/v1/jobs/${seeded.eventsJob}/logs?limit=100`);
    expect(logs.items.length).toBe(13);
    expect(logs.items[0]).toMatchObject({ level: "warn", message: "line 0", fields: { index: 0 } });
    const missing = await test.app.inject({
      method: "GET",
      url: "/api/v1/jobs/NOPE000000000000000000000/events",
    });
    expect(missing.statusCode).toBe(404);
    const noLogs = await test.app.inject({
      method: "GET",
      url: "/api/v1/jobs/NOPE000000000000000000000/logs",
    });
    expect(noLogs.statusCode).toBe(404);
  });
});

describe.each(DIALECTS)("jobs API with the database down on %s", (dialect) => {
  let down: OutageApp;
  beforeAll(async () => {
    down = await appWithDatabaseDown(dialect, "jobs-api-down");
  });
  afterAll(async () => {
    await down.close();
  });

  it.each([
    "/api/v1/jobs",
    "/api/v1/jobs?status=failed&function=email.send",
    "/api/v1/jobs/01HZZZZZZZZZZZZZZZZZZZZZZZ",
    "/api/v1/jobs/01HZZZZZZZZZZZZZZZZZZZZZZZ/timeline",
    "/api/v1/jobs/01HZZZZZZZZZZZZZZZZZZZZZZZ/events",
    "/api/v1/jobs/01HZZZZZZZZZZZZZZZZZZZZZZZ/logs",
  ])("answers 503 dependency_unavailable for %s", async (url) => {
    expectUnavailable(await down.app.inject({ method: "GET", url }), "database", url);
  });
});
