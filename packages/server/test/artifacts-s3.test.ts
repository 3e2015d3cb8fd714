/**
 * The S3 artifact storage against a local S3-compatible server (s3rver, started by the test):
 * single-request and multipart uploads, ranges, the size limit, deletes, and an upload far larger
 * than one part with the process's memory measured.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactTooLargeError, StorageObjectNotFoundError } from "../src/artifacts/artifact-storage.js";
import { S3Storage } from "../src/artifacts/s3-storage.js";
import { createArtifactTestApp, insertJob, storedFiles } from "./helpers/artifacts.js";
import { LocalS3, S3_CREDENTIALS } from "./helpers/s3-server.js";

const MiB = 1024 * 1024;
let s3: LocalS3;

function storage(partSize = 5 * MiB, prefix = "t/"): S3Storage {
  return new S3Storage({
    bucket: s3.bucket,
    prefix,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    partSize,
  });
}

/** `size` pseudo-random bytes, generated as read (never all in memory), with their SHA-256. */
function generated(size: number, chunk = 256 * 1024): { stream: Readable; sha256: () => string } {
  const hash = createHash("sha256");
  let sent = 0;
  let seed = 1;
  const stream = new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(chunk, size - sent);
      const words = Buffer.allocUnsafe(Math.ceil(length / 4) * 4);
      for (let i = 0; i < words.length; i += 4) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        words.writeUInt32LE(seed, i);
      }
      const bytes = words.subarray(0, length);
      sent += length;
      hash.update(bytes);
      this.push(bytes);
    },
  });
  return { stream, sha256: () => hash.digest("hex") };
}

async function digestOf(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest("hex"), size };
}

beforeAll(async () => {
  s3 = await LocalS3.start();
}, 60_000);

afterAll(async () => {
  await s3.stop();
});

describe("S3Storage", () => {
  it("stores a small object in one request, reads it whole and by range, and deletes it", async () => {
    const store = storage();
    const stored = await store.put(
      "ab/one",
      Readable.from([Buffer.from("hello "), Buffer.from("world")]),
      MiB,
    );
    expect(stored).toEqual({ size: 11, sha256: createHash("sha256").update("hello world").digest("hex") });
    const whole = await store.open("ab/one");
    expect(whole.size).toBe(11);
    expect((await digestOf(whole.stream)).sha256).toBe(stored.sha256);
    const part = await store.open("ab/one", { start: 6, end: 10 });
    expect(part.size).toBe(11);
    const chunks: Buffer[] = [];
    for await (const chunk of part.stream as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe("world");
    await store.delete("ab/one");
    await expect(store.open("ab/one")).rejects.toBeInstanceOf(StorageObjectNotFoundError);
    await store.delete("ab/one"); // nothing there: not an error
    store.close();
  });

  it("stores an empty object", async () => {
    const store = storage();
    expect(await store.put("ab/empty", Readable.from([]), MiB)).toMatchObject({ size: 0 });
    expect((await store.open("ab/empty")).size).toBe(0);
    store.close();
  });

  it("uploads in parts when the content is larger than one part", async () => {
    const store = storage(5 * MiB);
    const source = generated(12 * MiB + 3);
    const stored = await store.put("cd/parts", source.stream, 100 * MiB);
    expect(stored).toEqual({ size: 12 * MiB + 3, sha256: source.sha256() });
    const read = await store.open("cd/parts");
    expect(read.size).toBe(12 * MiB + 3);
    expect(await digestOf(read.stream)).toEqual({ sha256: stored.sha256, size: stored.size });
    store.close();
  });

  it("refuses more than the limit, single or multipart, and keeps nothing", async () => {
    const store = storage(5 * MiB);
    await expect(store.put("ef/small", generated(2 * MiB).stream, MiB)).rejects.toBeInstanceOf(
      ArtifactTooLargeError,
    );
    await expect(store.open("ef/small")).rejects.toBeInstanceOf(StorageObjectNotFoundError);
    await expect(store.put("ef/big", generated(20 * MiB).stream, 11 * MiB)).rejects.toBeInstanceOf(
      ArtifactTooLargeError,
    );
    await expect(store.open("ef/big")).rejects.toBeInstanceOf(StorageObjectNotFoundError);
    store.close();
  });

  it("keys objects under the prefix", async () => {
    const store = storage(5 * MiB, "tenant-a/");
    await store.put("gh/x", Readable.from([Buffer.from("x")]), MiB);
    const unprefixed = await storage(5 * MiB, "").open("tenant-a/gh/x");
    expect((await digestOf(unprefixed.stream)).size).toBe(1);
    await expect(storage(5 * MiB, "tenant-b/").open("gh/x")).rejects.toBeInstanceOf(
      StorageObjectNotFoundError,
    );
    store.close();
  });

  it("an unreachable store is an ArtifactStorageError naming no key", async () => {
    const store = new S3Storage({
      bucket: "artifacts",
      prefix: "",
      endpoint: "http://127.0.0.1:1",
      forcePathStyle: true,
      credentials: S3_CREDENTIALS,
    });
    await expect(store.put("ij/x", Readable.from([Buffer.from("x")]), MiB)).rejects.toThrow(
      /Artifact storage could not store the artifact/,
    );
    store.close();
  });

  it("keeps memory bounded: a 256 MiB upload in 8 MiB parts", async () => {
    const store = storage(8 * MiB);
    const size = 256 * MiB;
    const source = generated(size);
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const stored = await store.put("kl/large", source.stream, size);
      expect(stored).toEqual({ size, sha256: source.sha256() });
    } finally {
      clearInterval(sampler);
    }
    const growth = peak - before;
    console.log(
      `S3 upload of ${String(size / MiB)} MiB: RSS grew by at most ${(growth / MiB).toFixed(1)} MiB`,
    );
    // Holding the whole upload would take 256 MiB; a few parts in flight take tens.
    expect(growth).toBeLessThan(128 * MiB);
    await store.delete("kl/large");
    store.close();
  }, 300_000);
});

describe("the server with UPNEXT_ARTIFACT_STORAGE=s3", () => {
  it("stores uploads in the bucket (credentials from AWS_* variables) and serves them from it", async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = S3_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3_CREDENTIALS.secretAccessKey;
    const test = await createArtifactTestApp({
      dialect: "sqlite",
      label: "artifacts-s3-api",
      env: {
        UPNEXT_ARTIFACT_STORAGE: "s3",
        UPNEXT_ARTIFACT_S3_BUCKET: s3.bucket,
        UPNEXT_ARTIFACT_S3_ENDPOINT: s3.endpoint,
        UPNEXT_ARTIFACT_S3_PREFIX: "api/",
        UPNEXT_ARTIFACT_MAX_SIZE: "8MiB",
      },
    });
    try {
      await insertJob(test.database.database.db, "job-s3");
      const base = await test.app.listen({ host: "127.0.0.1", port: 0 });
      const source = generated(6 * MiB + 1);
      const created = await fetch(`${base}/api/v1/jobs/job-s3/artifacts?name=data.bin`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: Readable.toWeb(source.stream) as ReadableStream,
        duplex: "half",
      });
      expect(created.status).toBe(201);
      const info = (await created.json()) as { id: string; size: number; sha256: string };
      expect(info).toMatchObject({ size: 6 * MiB + 1, sha256: source.sha256() });
      // Nothing on the local disk: the content is in the bucket.
      expect(storedFiles(test.artifactsDir)).toEqual([]);
      const content = await fetch(`${base}/api/v1/artifacts/${info.id}/content`);
      expect(content.status).toBe(200);
      const body = Buffer.from(await content.arrayBuffer());
      expect(createHash("sha256").update(body).digest("hex")).toBe(info.sha256);
      const ranged = await fetch(`${base}/api/v1/artifacts/${info.id}/content`, {
        headers: { range: "bytes=0-9" },
      });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer())).toEqual(body.subarray(0, 10));

      // A declared length over the limit is refused before the bucket sees a byte.
      const tooBig = await fetch(`${base}/api/v1/jobs/job-s3/artifacts?name=big.bin`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: Buffer.alloc(9 * MiB),
      });
      expect(tooBig.status).toBe(413);
    } finally {
      await test.close();
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  }, 120_000);

  it("refuses to start without a bucket", async () => {
    await expect(
      createArtifactTestApp({
        dialect: "sqlite",
        label: "artifacts-s3-nobucket",
        env: { UPNEXT_ARTIFACT_STORAGE: "s3" },
      }),
    ).rejects.toThrow(/UPNEXT_ARTIFACT_S3_BUCKET/);
  });
});
