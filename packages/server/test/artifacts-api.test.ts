import { request as httpRequest } from "node:http";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import {
  apiErrorEnvelopeSchema,
  artifactEventSchema,
  type ArtifactEvent,
  type ArtifactInfo,
} from "@upnext/core";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import { LocalDirectoryStorage } from "../src/artifacts/local-directory-storage.js";
import { createDependencies } from "../src/connections/server-dependencies.js";
import { DIALECTS } from "./helpers/database.js";
import { REDIS_URL } from "./helpers/app.js";
import { PrivateRedis } from "../../upnext/test/helpers/private-redis.js";
import { type ArtifactTestApp, createArtifactTestApp, insertJob, storedFiles } from "./helpers/artifacts.js";

interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  json(): unknown;
}

/** A real HTTP request (uploads are streamed, so inject's in-memory socket would not show it). */
function send(
  base: string,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string | number>;
    body?: Buffer | string | Readable;
  },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      new URL(options.path, base),
      { method: options.method ?? "GET", headers: options.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body,
            json: () => JSON.parse(body.toString("utf8")) as unknown,
          });
        });
        response.on("error", reject);
      },
    );
    // An early answer (413) may close the connection while the body is still being written.
    request.on("error", reject);
    const body = options.body;
    if (body instanceof Readable) body.pipe(request);
    else request.end(body);
  });
}

function errorCode(answer: HttpAnswer): string {
  return apiErrorEnvelopeSchema.parse(answer.json()).error.code;
}

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A body of `size` bytes produced piece by piece, sent chunked (no Content-Length). */
function generated(size: number, chunk = 64 * 1024): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(chunk, size - sent);
      sent += length;
      this.push(Buffer.alloc(length, 0x61));
    },
  });
}

interface Page {
  items: ArtifactInfo[];
  page: { next: string | null; prev: string | null };
}

describe.each(DIALECTS)("artifacts API on %s", (dialect) => {
  let test: ArtifactTestApp;
  let base: string;
  beforeAll(async () => {
    test = await createArtifactTestApp({
      dialect,
      label: `artifacts-api-${dialect}`,
      env: { UPNEXT_ARTIFACT_MAX_SIZE: "64KiB" },
    });
    base = await test.app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await test.close();
  });

  const upload = (jobId: string, query: string, body: Buffer | string | Readable, headers = {}) =>
    send(base, {
      method: "POST",
      path: `/api/v1/jobs/${jobId}/artifacts?${query}`,
      headers: { "content-type": "text/plain; charset=utf-8", ...headers },
      body,
    });

  it("stores an upload of a known job, lists it, describes it and serves it", async () => {
    await insertJob(test.database.database.db, "job-known");
    const created = await upload("job-known", "name=report.txt", "hello artifacts");
    expect(created.status).toBe(201);
    const info = created.json() as ArtifactInfo;
    expect(info).toMatchObject({
      jobId: "job-known",
      name: "report.txt",
      contentType: "text/plain; charset=utf-8",
      size: 15,
      sha256: sha256("hello artifacts"),
      pending: false,
    });
    expect(info.createdAt).toMatch(/Z$/);

    const detail = await test.app.inject({ method: "GET", url: `/api/v1/artifacts/${info.id}` });
    expect(detail.json()).toEqual(info);
    expect(detail.body).not.toContain("storage");

    const list = await test.app.inject({ method: "GET", url: "/api/v1/jobs/job-known/artifacts" });
    expect(list.json<{ items: ArtifactInfo[] }>().items).toEqual([info]);

    const content = await test.app.inject({ method: "GET", url: `/api/v1/artifacts/${info.id}/content` });
    expect(content.statusCode).toBe(200);
    expect(content.body).toBe("hello artifacts");
    expect(content.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(content.headers["content-disposition"]).toMatch(/^inline; filename="report.txt"/);
    expect(content.headers["x-content-type-options"]).toBe("nosniff");
    expect(content.headers.etag).toBe(`"${info.sha256}"`);
    expect(content.headers["content-length"]).toBe("15");
  });

  it("answers If-None-Match with 304, and byte ranges with 206 or 416", async () => {
    await insertJob(test.database.database.db, "job-ranges");
    const info = (await upload("job-ranges", "name=digits.txt", "0123456789")).json() as ArtifactInfo;
    const url = `/api/v1/artifacts/${info.id}/content`;
    const cached = await test.app.inject({
      method: "GET",
      url,
      headers: { "if-none-match": `"${info.sha256}"` },
    });
    expect(cached.statusCode).toBe(304);
    expect(cached.body).toBe("");
    const stale = await test.app.inject({ method: "GET", url, headers: { "if-none-match": '"other"' } });
    expect(stale.statusCode).toBe(200);

    const middle = await send(base, { path: url, headers: { range: "bytes=2-5" } });
    expect(middle.status).toBe(206);
    expect(middle.body.toString()).toBe("2345");
    expect(middle.headers["content-range"]).toBe("bytes 2-5/10");
    const suffix = await send(base, { path: url, headers: { range: "bytes=-3" } });
    expect(suffix.body.toString()).toBe("789");
    const open = await send(base, { path: url, headers: { range: "bytes=8-" } });
    expect(open.body.toString()).toBe("89");
    const outside = await send(base, { path: url, headers: { range: "bytes=10-20" } });
    expect(outside.status).toBe(416);
    expect(outside.headers["content-range"]).toBe("bytes */10");
    // An If-Range naming another version gets the whole, current content.
    const changed = await send(base, { path: url, headers: { range: "bytes=2-5", "if-range": '"old"' } });
    expect(changed.status).toBe(200);
    expect(changed.body.toString()).toBe("0123456789");
    const head = await send(base, { method: "HEAD", path: url });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("10");
    expect(head.body.length).toBe(0);
    // An empty artifact is an artifact too.
    const empty = (await upload("job-ranges", "name=empty.txt", "")).json() as ArtifactInfo;
    expect(empty.size).toBe(0);
    const emptyContent = await send(base, { path: `/api/v1/artifacts/${empty.id}/content` });
    expect([emptyContent.status, emptyContent.body.length]).toEqual([200, 0]);
  });

  it("serves only safe types inline; HTML and SVG are always attachments", async () => {
    await insertJob(test.database.database.db, "job-types");
    const cases: [string, string, string][] = [
      ["page.html", "text/html", "attachment"],
      ["logo.svg", "image/svg+xml", "attachment"],
      ["chart.png", "image/png", "inline"],
      ["data.json", "application/json", "inline"],
      ["table.csv", "text/csv", "attachment"],
    ];
    for (const [name, type, disposition] of cases) {
      const info = (
        await upload("job-types", `name=${name}`, "<b>x</b>", { "content-type": type })
      ).json() as ArtifactInfo;
      const content = await test.app.inject({ method: "GET", url: `/api/v1/artifacts/${info.id}/content` });
      expect(content.headers["content-disposition"], name).toMatch(new RegExp(`^${disposition};`));
      expect(content.headers["content-security-policy"]).toContain("sandbox");
      const forced = await test.app.inject({
        method: "GET",
        url: `/api/v1/artifacts/${info.id}/content?download=true`,
      });
      expect(forced.headers["content-disposition"]).toMatch(/^attachment;/);
    }
  });

  it("keeps an artifact of a job not in the history as pending and promotes it when the job arrives", async () => {
    const pending = await upload("job-later", "name=early.txt", "early bird");
    expect(pending.status).toBe(202);
    const info = pending.json() as ArtifactInfo;
    expect(info.pending).toBe(true);
    const listed = await test.app.inject({ method: "GET", url: "/api/v1/jobs/job-later/artifacts" });
    expect(listed.json<{ items: ArtifactInfo[] }>().items.map((item) => item.pending)).toEqual([true]);

    const { promotePendingArtifacts } = await import("../src/artifacts/artifact-lifecycle.js");
    const db = test.database.database.db;
    expect(await promotePendingArtifacts(db, ["job-later"])).toBe(0);
    await insertJob(db, "job-later");
    expect(await promotePendingArtifacts(db, ["job-later"])).toBe(1);
    expect(await promotePendingArtifacts(db, ["job-later"])).toBe(0);
    const promoted = await test.app.inject({ method: "GET", url: `/api/v1/artifacts/${info.id}` });
    expect(promoted.json()).toEqual({ ...info, pending: false });
    const content = await test.app.inject({ method: "GET", url: `/api/v1/artifacts/${info.id}/content` });
    expect(content.body).toBe("early bird");
  });

  it("pages a job's artifacts newest first with next and prev links", async () => {
    await insertJob(test.database.database.db, "job-many");
    for (let i = 0; i < 5; i++) {
      expect((await upload("job-many", `name=part-${i}`, `part ${i}`)).status).toBe(201);
    }

    const first = (
      await test.app.inject({ method: "GET", url: "/api/v1/jobs/job-many/artifacts?limit=2" })
    ).json<Page>();
    expect(first.items.map((item) => item.name)).toEqual(["part-4", "part-3"]);
    expect(first.page.prev).toBeNull();
    const second = (await test.app.inject({ method: "GET", url: first.page.next ?? "" })).json<Page>();
    expect(second.items.map((item) => item.name)).toEqual(["part-2", "part-1"]);
    const third = (await test.app.inject({ method: "GET", url: second.page.next ?? "" })).json<Page>();
    expect(third.items.map((item) => item.name)).toEqual(["part-0"]);
    expect(third.page.next).toBeNull();
    const back = (await test.app.inject({ method: "GET", url: third.page.prev ?? "" })).json<Page>();
    expect(back.items.map((item) => item.name)).toEqual(["part-2", "part-1"]);
    const forged = await test.app.inject({
      method: "GET",
      url: "/api/v1/jobs/job-many/artifacts?cursor=nonsense",
    });
    expect(forged.statusCode).toBe(400);
    const wrongTypes = Buffer.from(JSON.stringify(["a", "not-a-time", "id"])).toString("base64url");
    const typed = await test.app.inject({
      method: "GET",
      url: `/api/v1/jobs/job-many/artifacts?cursor=${wrongTypes}`,
    });
    expect(typed.statusCode).toBe(400);
  });

  it("refuses an upload over the size limit with 413 and keeps no file, declared or not", async () => {
    const before = storedFiles(test.artifactsDir);
    const declared = await upload("job-big", "name=big.bin", Buffer.alloc(65 * 1024), {
      "content-type": "application/octet-stream",
    });
    expect(declared.status).toBe(413);
    expect(errorCode(declared)).toBe("payload_too_large");
    const streamed = await upload("job-big", "name=big.bin", generated(1024 * 1024), {
      "content-type": "application/octet-stream",
    });
    expect(streamed.status).toBe(413);
    expect((streamed.json() as { error: { message: string } }).error.message).toContain("65536 bytes");
    expect(storedFiles(test.artifactsDir)).toEqual(before);
    const listed = await test.app.inject({ method: "GET", url: "/api/v1/jobs/job-big/artifacts" });
    expect(listed.json<{ items: unknown[] }>().items).toEqual([]);
    // Exactly at the limit is accepted.
    const atLimit = await upload("job-big", "name=limit.bin", generated(64 * 1024), {
      "content-type": "application/octet-stream",
    });
    expect(atLimit.status).toBe(202);
    expect((atLimit.json() as ArtifactInfo).size).toBe(64 * 1024);
  });

  it("answers bad names, ids and content types with 400 naming the value and the rule", async () => {
    const cases: [string, string, Record<string, string>?][] = [
      ["job-x", "name=..%2Fetc%2Fpasswd"],
      ["job-x", "name=a%5Cb"],
      ["job-x", "name=.."],
      ["job-x", "name=bell%07"],
      ["job-x", `name=${"n".repeat(256)}`],
      ["job-x", "name=%20padded"],
      ["job-x", ""],
      ["bad%20id", "name=ok.txt"],
      ["j".repeat(65), "name=ok.txt"],
      ["job-x", "name=ok.txt&id=..%2F..%2Fx"],
    ];
    for (const [jobId, query, headers] of cases) {
      const answer = await upload(jobId, query, "x", headers);
      expect(answer.status, `${jobId} ${query}`).toBe(400);
      const body = apiErrorEnvelopeSchema.parse(answer.json());
      expect(body.error.code).toBe("bad_request");
    }
    const untyped = await upload("job-x", "name=ok.txt", "x", { "content-type": "not a type" });
    expect(untyped.status).toBe(415);
    expect(errorCode(untyped)).toBe("unsupported_media_type");
    const named = await upload("job-x", "name=a%2Fb", "x");
    expect((named.json() as { error: { message: string; details: unknown } }).error).toMatchObject({
      message: expect.stringContaining('"a/b"') as unknown,
      details: { parameter: "artifact name", value: "a/b" },
    });
    for (const url of [
      "/api/v1/artifacts/..%2Fx",
      "/api/v1/artifacts/a%20b/content",
      "/api/v1/jobs/a%20b/artifacts",
    ]) {
      expect((await test.app.inject({ method: "GET", url })).statusCode, url).toBe(400);
    }
    expect(storedFiles(test.artifactsDir).some((file) => file.includes("passwd"))).toBe(false);
  });

  it("accepts a multipart upload with one file field", async () => {
    await insertJob(test.database.database.db, "job-form");
    const form = new FormData();
    form.append("file", new Blob(["a,b\n1,2\n"], { type: "text/csv" }), "table.csv");
    const answer = await fetch(`${base}/api/v1/jobs/job-form/artifacts`, { method: "POST", body: form });
    expect(answer.status).toBe(201);
    const info = (await answer.json()) as ArtifactInfo;
    expect(info).toMatchObject({
      name: "table.csv",
      contentType: "text/csv",
      size: 8,
      sha256: sha256("a,b\n1,2\n"),
    });

    const tooBig = new FormData();
    tooBig.append("file", new Blob([Buffer.alloc(200 * 1024)]), "big.bin");
    const refused = await fetch(`${base}/api/v1/jobs/job-form/artifacts`, { method: "POST", body: tooBig });
    expect(refused.status).toBe(413);
    const empty = new FormData();
    empty.append("note", "no file here");
    const missing = await fetch(`${base}/api/v1/jobs/job-form/artifacts?name=x`, {
      method: "POST",
      body: empty,
    });
    expect(missing.status).toBe(400);
  });

  it("stores a repeated upload with the same id once, and refuses that id for another artifact", async () => {
    await insertJob(test.database.database.db, "job-retry");
    const first = await upload("job-retry", "name=once.txt&id=01RETRYRETRYRETRYRETRY0001", "same");
    expect(first.status).toBe(201);
    const again = await upload("job-retry", "name=once.txt&id=01RETRYRETRYRETRYRETRY0001", "same");
    expect(again.status).toBe(200);
    expect(again.json()).toEqual(first.json());
    const list = await test.app.inject({ method: "GET", url: "/api/v1/jobs/job-retry/artifacts" });
    expect(list.json<{ items: unknown[] }>().items).toHaveLength(1);
    const clash = await upload("job-retry", "name=other.txt&id=01RETRYRETRYRETRYRETRY0001", "other");
    expect(clash.status).toBe(409);
  });

  it("deletes the record, then the file, and publishes created and deleted events", async () => {
    await insertJob(test.database.database.db, "job-delete");
    const subscriber = new Redis(REDIS_URL);
    const events: ArtifactEvent[] = [];
    subscriber.on("message", (_channel: string, message: string) => {
      events.push(artifactEventSchema.parse(JSON.parse(message)));
    });
    await subscriber.subscribe(test.deps.keys.artifactsChannel);
    try {
      const files = storedFiles(test.artifactsDir).length;
      const info = (await upload("job-delete", "name=gone.txt", "bye")).json() as ArtifactInfo;
      expect(storedFiles(test.artifactsDir)).toHaveLength(files + 1);
      const deleted = await test.app.inject({ method: "DELETE", url: `/api/v1/artifacts/${info.id}` });
      expect(deleted.statusCode).toBe(200);
      expect(deleted.json()).toEqual({ deleted: true, artifact: info });
      expect(storedFiles(test.artifactsDir)).toHaveLength(files);
      expect((await test.app.inject({ method: "GET", url: `/api/v1/artifacts/${info.id}` })).statusCode).toBe(
        404,
      );
      expect(
        (await test.app.inject({ method: "DELETE", url: `/api/v1/artifacts/${info.id}` })).statusCode,
      ).toBe(404);
      await expect
        .poll(() => events.map((event) => event.type))
        .toEqual(["artifact.created", "artifact.deleted"]);
      expect(events[0]).toEqual({
        type: "artifact.created",
        jobId: "job-delete",
        artifact: {
          id: info.id,
          name: "gone.txt",
          contentType: info.contentType,
          size: 3,
          createdAt: info.createdAt,
        },
      });
    } finally {
      subscriber.disconnect();
    }
  });

  it("answers 503 on every artifact route while the database is down, and keeps no file", async () => {
    const handle = await test.database.open();
    const deps = createDependencies({
      config: test.config,
      redis: test.redis,
      database: handle,
      probeIntervalMs: 60_000,
    });
    const app = await buildApp({
      deps,
      logger: pino({ level: "silent" }),
      artifactStorage: new LocalDirectoryStorage(test.artifactsDir),
    });
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    const before = storedFiles(test.artifactsDir);
    try {
      // A handle that never ran a query would open itself again on the next one.
      await handle.ping();
      await handle.close();
      const answers = [
        await send(url, { method: "POST", path: "/api/v1/jobs/job-down/artifacts?name=a.txt", body: "data" }),
        await send(url, { path: "/api/v1/jobs/job-down/artifacts" }),
        await send(url, { path: "/api/v1/artifacts/some-id" }),
        await send(url, { path: "/api/v1/artifacts/some-id/content" }),
        await send(url, { method: "DELETE", path: "/api/v1/artifacts/some-id" }),
      ];
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expect(errorCode(answer)).toBe("dependency_unavailable");
      }
      expect(storedFiles(test.artifactsDir)).toEqual(before);
    } finally {
      await app.close();
      deps.stop();
    }
  });
});

describe.each(DIALECTS)("artifacts while Redis is down on %s", (dialect) => {
  let redis: PrivateRedis;
  let test: ArtifactTestApp;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    test = await createArtifactTestApp({
      dialect,
      label: `artifacts-noredis-${dialect}`,
      redisUrl: redis.url,
    });
  });
  afterAll(async () => {
    await test.close();
    await redis.stop();
  });

  it("still uploads, lists, serves and deletes: Redis only carries the live notifications", async () => {
    const base = await test.app.listen({ host: "127.0.0.1", port: 0 });
    await redis.stop();
    const created = await send(base, {
      method: "POST",
      path: "/api/v1/jobs/job-offline/artifacts?name=offline.txt",
      headers: { "content-type": "text/plain" },
      body: "no redis needed",
    });
    expect(created.status).toBe(202);
    const info = created.json() as ArtifactInfo;
    expect((await send(base, { path: "/api/v1/jobs/job-offline/artifacts" })).status).toBe(200);
    const content = await send(base, { path: `/api/v1/artifacts/${info.id}/content` });
    expect(content.body.toString()).toBe("no redis needed");
    expect((await send(base, { method: "DELETE", path: `/api/v1/artifacts/${info.id}` })).status).toBe(200);
  });
});

describe("artifacts with a token", () => {
  let test: ArtifactTestApp;
  beforeAll(async () => {
    test = await createArtifactTestApp({
      dialect: "sqlite",
      label: "artifacts-token",
      env: { UPNEXT_API_TOKEN: "s3cret" },
    });
  });
  afterAll(async () => {
    await test.close();
  });

  it("refuses uploads and downloads without the bearer token", async () => {
    const base = await test.app.listen({ host: "127.0.0.1", port: 0 });
    const refused = await send(base, {
      method: "POST",
      path: "/api/v1/jobs/j1/artifacts?name=a.txt",
      body: "x",
    });
    expect(refused.status).toBe(401);
    expect(storedFiles(test.artifactsDir)).toEqual([]);
    const accepted = await send(base, {
      method: "POST",
      path: "/api/v1/jobs/j1/artifacts?name=a.txt",
      headers: { authorization: "Bearer s3cret" },
      body: "x",
    });
    expect(accepted.status).toBe(202);
    const id = (accepted.json() as ArtifactInfo).id;
    expect((await send(base, { path: `/api/v1/artifacts/${id}/content` })).status).toBe(401);
  });
});
