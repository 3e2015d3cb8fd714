/**
 * End to end: tasks of a real upnext Worker store artifacts with `ctx.artifacts.put` on a real
 * server; the ingester's hook promotes the ones uploaded before their job reached the history.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { type Config, type ArtifactInfo, loadConfig } from "@upnext/core";
import { ArtifactUploadError, InvalidOptionError, Worker } from "upnext";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../src/app.js";
import { startServer } from "../src/server.js";
import { promotePendingArtifacts } from "../src/artifacts/artifact-lifecycle.js";
import { type Ingester, startIngester } from "../src/ingest/ingester.js";
import { REDIS_URL, testNamespace } from "./helpers/app.js";
import { type ArtifactTestApp, createArtifactTestApp, storedFiles } from "./helpers/artifacts.js";
import { DIALECTS } from "./helpers/database.js";
import { freePort } from "../../upnext/test/helpers/private-redis.js";
import { pino } from "pino";

function workerConfig(serverUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig(
    {
      UPNEXT_REDIS_URL: REDIS_URL,
      UPNEXT_LOG_LEVEL: "silent",
      UPNEXT_PROMOTE_INTERVAL: "50ms",
      UPNEXT_HEARTBEAT_INTERVAL: "1s",
      UPNEXT_SERVER_URL: serverUrl,
      ...env,
    },
    () => undefined,
  );
}

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

async function* numberedLines(count: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) {
    if (i % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve));
    yield Buffer.from(`line ${i}\n`);
  }
}

describe.each(DIALECTS)("artifacts from a real worker on %s", (dialect) => {
  let test: ArtifactTestApp;
  let base: string;
  let ingester: Ingester;
  const workers: Worker[] = [];

  /** A worker of this test's own (tasks are defined before start), stopped after the test. */
  function newWorker(name: string, serverUrl = base): Worker {
    const worker = new Worker({
      name,
      namespace: test.namespace,
      handleSignals: false,
      config: workerConfig(serverUrl),
    });
    workers.push(worker);
    return worker;
  }

  beforeAll(async () => {
    test = await createArtifactTestApp({ dialect, label: `artifacts-worker-${dialect}` });
    base = await test.app.listen({ host: "127.0.0.1", port: 0 });
    ingester = startIngester(test.deps, {
      blockMs: 100,
      onJobsInserted: async (jobIds) => {
        await test.deps.withDatabase((db) => promotePendingArtifacts(db, jobIds));
      },
    });
  });
  afterEach(async () => {
    for (const extra of workers.splice(0)) await extra.stop();
  });
  afterAll(async () => {
    await ingester.stop();
    await test.close();
  });

  it("stores a JSON value, a string, a Buffer and a stream put from a task, and promotes them", async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252]);
    const lines = Array.from({ length: 5_000 }, (_, i) => `line ${i}\n`).join("");
    const worker = newWorker("report");
    const report = worker.task("report", {}, async (_input: null, ctx) => {
      const json = await ctx.artifacts.put("summary.json", { rows: 3, ok: true });
      const text = await ctx.artifacts.put("notes.txt", "all good");
      const binary = await ctx.artifacts.put("raw.bin", bytes);
      const stream = await ctx.artifacts.put("lines.csv", numberedLines(5_000), {
        contentType: "text/csv",
      });
      const readable = await ctx.artifacts.put("chunks.bin", Readable.from([bytes, bytes]));
      return [json, text, binary, stream, readable];
    });
    await worker.start();
    const stored = await (await report.submit(null)).result({ timeout: "20s" });
    const [json, text, binary, stream, readable] = stored;
    expect(json).toMatchObject({ name: "summary.json", contentType: "application/json", size: 20 });
    expect(text).toMatchObject({ name: "notes.txt", contentType: "text/plain; charset=utf-8", size: 8 });
    expect(binary).toMatchObject({ contentType: "application/octet-stream", sha256: sha256(bytes) });
    expect(stream).toMatchObject({ contentType: "text/csv", size: lines.length, sha256: sha256(lines) });
    expect(readable).toMatchObject({ size: 12, sha256: sha256(Buffer.concat([bytes, bytes])) });

    const contents = await Promise.all(
      stored.map(async (artifact) => {
        const answer = await test.app.inject({
          method: "GET",
          url: `/api/v1/artifacts/${artifact.id}/content`,
        });
        return answer.rawPayload;
      }),
    );
    expect(JSON.parse(contents[0]?.toString() ?? "")).toEqual({ rows: 3, ok: true });
    expect(contents[1]?.toString()).toBe("all good");
    expect(contents[2]).toEqual(bytes);
    expect(contents[3]?.toString()).toBe(lines);

    // Uploaded while the job ran, before (or after) ingest wrote its row: all end up promoted.
    const jobId = stored[0]?.jobId ?? "";
    await expect
      .poll(
        async () => {
          const answer = await test.app.inject({ method: "GET", url: `/api/v1/jobs/${jobId}/artifacts` });
          return answer.json<{ items: ArtifactInfo[] }>().items.map((item) => item.pending);
        },
        { timeout: 10_000 },
      )
      .toEqual([false, false, false, false, false]);
  });

  it("rejects a bad name before uploading anything, and a refusal without retrying", async () => {
    const files = storedFiles(test.artifactsDir).length;
    const worker = newWorker("careless");
    const careless = worker.task("careless", {}, async (_input: null, ctx) => {
      const outcomes: string[] = [];
      for (const name of ["../escape.txt", "", "a\\b"]) {
        await ctx.artifacts.put(name, "x").catch((error: unknown) => {
          outcomes.push(error instanceof InvalidOptionError ? "invalid" : String(error));
        });
      }
      await ctx.artifacts.put("ok.txt", "x", { contentType: "no type" }).catch((error: unknown) => {
        outcomes.push(error instanceof InvalidOptionError ? "invalid" : String(error));
      });
      await ctx.artifacts
        .put("ok.txt", () => 1)
        .catch((error: unknown) => {
          outcomes.push(error instanceof InvalidOptionError ? "invalid" : String(error));
        });
      return outcomes;
    });
    await worker.start();
    expect(await (await careless.submit(null)).result({ timeout: "10s" })).toEqual(Array(5).fill("invalid"));
    expect(storedFiles(test.artifactsDir)).toHaveLength(files);
  });

  it("gives up at once on a 413 and says why", async () => {
    const small = await createArtifactTestApp({
      dialect,
      label: `artifacts-small-${dialect}`,
      env: { UPNEXT_ARTIFACT_MAX_SIZE: "1KB" },
    });
    try {
      const url = await small.app.listen({ host: "127.0.0.1", port: 0 });
      const extra = newWorker("small", url);
      const big = extra.task("big", {}, async (_input: null, ctx) => {
        try {
          await ctx.artifacts.put("big.bin", Buffer.alloc(4096));
          return null;
        } catch (error) {
          if (!(error instanceof ArtifactUploadError)) throw error;
          return {
            status: error.status,
            code: error.serverCode,
            attempts: error.attempts,
            message: error.message,
          };
        }
      });
      await extra.start();
      const outcome = await (await big.submit(null)).result({ timeout: "10s" });
      expect(outcome).toMatchObject({ status: 413, code: "payload_too_large", attempts: 1 });
      expect(outcome?.message).toMatch(/big\.bin.*413.*1000 bytes/);
      expect(storedFiles(small.artifactsDir)).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it("retries until a server that was not running yet comes up", async () => {
    const port = await freePort();
    const late = newWorker("late", `http://127.0.0.1:${port}`);
    const patient = late.task("patient", {}, (_input: null, ctx) =>
      ctx.artifacts.put("late.txt", "worth the wait"),
    );
    await late.start();
    const ref = await patient.submit(null);
    // The first attempts are refused; then a second app on the same database starts on that port.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const app = await buildApp({ deps: test.deps, logger: pino({ level: "silent" }) });
    try {
      await app.listen({ host: "127.0.0.1", port });
      const artifact = await ref.result({ timeout: "20s" });
      expect(artifact).toMatchObject({ name: "late.txt", size: 14, sha256: sha256("worth the wait") });
    } finally {
      await app.close();
    }
  });
});

describe("artifacts from a worker when the server wants a token", () => {
  let test: ArtifactTestApp;
  const workers: Worker[] = [];
  beforeAll(async () => {
    test = await createArtifactTestApp({
      dialect: "sqlite",
      label: "artifacts-worker-token",
      env: { UPNEXT_API_TOKEN: "s3cret" },
    });
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await test.close();
  });

  it("sends UPNEXT_API_TOKEN, and without it the put fails with 401 at once", async () => {
    const base = await test.app.listen({ host: "127.0.0.1", port: 0 });
    const outcomes: unknown[] = [];
    for (const token of ["s3cret", ""]) {
      const worker = new Worker({
        name: `token-${token === "" ? "none" : "ok"}`,
        namespace: `${test.namespace}:${token === "" ? "none" : "ok"}`,
        handleSignals: false,
        config: workerConfig(base, { UPNEXT_API_TOKEN: token }),
      });
      workers.push(worker);
      const put = worker.task("put", {}, async (_input: null, ctx) => {
        try {
          return (await ctx.artifacts.put("secret.txt", "x")).pending;
        } catch (error) {
          return error instanceof ArtifactUploadError
            ? { status: error.status, attempts: error.attempts }
            : String(error);
        }
      });
      await worker.start();
      outcomes.push(await (await put.submit(null)).result({ timeout: "10s" }));
    }
    expect(outcomes).toEqual([true, { status: 401, attempts: 1 }]);
  });
});

// startServer opens the database its URL names (no per-test PostgreSQL schema), so this check of
// how the server process wires ingest to artifacts runs on SQLite; the promotion itself is tested
// on both dialects above.
describe("artifacts in a server started with startServer", () => {
  it("promotes a worker's pending artifact as soon as ingest writes the job's row", async () => {
    const dir = mkdtempSync(join(tmpdir(), "upnext-artifacts-server-"));
    const namespace = testNamespace("artifacts-start");
    const server = await startServer({
      port: 0,
      config: loadConfig(
        {
          UPNEXT_REDIS_URL: REDIS_URL,
          UPNEXT_LOG_LEVEL: "silent",
          UPNEXT_NAMESPACE: namespace,
          UPNEXT_DATABASE_URL: `sqlite:${join(dir, "history.db")}`,
          UPNEXT_ARTIFACTS_DIR: join(dir, "artifacts"),
        },
        () => undefined,
      ),
    });
    const worker = new Worker({
      name: "started",
      namespace,
      handleSignals: false,
      config: workerConfig(server.url),
    });
    try {
      // Put before the job has any row: the artifact is pending when the put returns.
      const early = worker.task("early", {}, (_input: null, ctx) => ctx.artifacts.put("early.txt", "first"));
      await worker.start();
      const artifact = await (await early.submit(null)).result({ timeout: "20s" });
      await expect
        .poll(
          async () => {
            const answer = await server.app.inject({
              method: "GET",
              url: `/api/v1/artifacts/${artifact.id}`,
            });
            return answer.json<ArtifactInfo>().pending;
          },
          // Well under the sweep's interval: the ingest hook did it.
          { timeout: 10_000 },
        )
        .toBe(false);
    } finally {
      await worker.stop();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
