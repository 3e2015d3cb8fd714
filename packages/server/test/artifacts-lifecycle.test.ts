/**
 * What happens to artifacts outside requests: the promotion sweep, the collection of pending
 * artifacts whose job never arrived, retention's removal of a job's artifacts, and the local
 * directory's own guarantees (no path escapes, crashed uploads cleaned up).
 */
import { utimesSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { ArtifactInfo } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRetention } from "../src/sweeps/retention-sweep.js";
import {
  ArtifactSweep,
  artifactServiceHooks,
  collectOrphanedPendingArtifacts,
  deleteArtifactFiles,
} from "../src/artifacts/artifact-lifecycle.js";
import { ArtifactTooLargeError, StorageObjectNotFoundError } from "../src/artifacts/artifact-storage.js";
import { LocalDirectoryStorage, STALE_PARTIAL_AGE_MS } from "../src/artifacts/local-directory-storage.js";
import { DIALECTS } from "./helpers/database.js";
import { type ArtifactTestApp, createArtifactTestApp, insertJob, storedFiles } from "./helpers/artifacts.js";

const HOUR_MS = 3_600_000;

describe.each(DIALECTS)("artifact housekeeping on %s", (dialect) => {
  let test: ArtifactTestApp;
  let storage: LocalDirectoryStorage;
  beforeAll(async () => {
    test = await createArtifactTestApp({ dialect, label: `artifacts-life-${dialect}` });
    storage = new LocalDirectoryStorage(test.artifactsDir);
  });
  afterAll(async () => {
    await test.close();
  });

  async function put(jobId: string, name: string, content = name): Promise<ArtifactInfo> {
    const answer = await test.app.inject({
      method: "POST",
      url: `/api/v1/jobs/${jobId}/artifacts?name=${name}`,
      headers: { "content-type": "text/plain" },
      payload: content,
    });
    expect(answer.statusCode).toBeLessThan(300);
    return answer.json<ArtifactInfo>();
  }

  async function age(id: string, ms: number): Promise<void> {
    const db = test.database.database.db;
    await db
      .updateTable("pending_artifacts")
      .set({ created_at: Date.now() - ms })
      .where("id", "=", id)
      .execute();
  }

  async function detail(id: string): Promise<ArtifactInfo | number> {
    const answer = await test.app.inject({ method: "GET", url: `/api/v1/artifacts/${id}` });
    return answer.statusCode === 200 ? answer.json<ArtifactInfo>() : answer.statusCode;
  }

  it("collects pending artifacts whose job never arrived, promotes late arrivals, keeps recent ones", async () => {
    const db = test.database.database.db;
    const orphan = await put("gc-orphan", "orphan.txt");
    const arrived = await put("gc-arrived", "arrived.txt");
    const recent = await put("gc-recent", "recent.txt");
    await age(orphan.id, 2 * HOUR_MS);
    await age(arrived.id, 2 * HOUR_MS);
    await insertJob(db, "gc-arrived");
    const files = storedFiles(test.artifactsDir).length;

    expect(await collectOrphanedPendingArtifacts(db, storage, HOUR_MS)).toBe(1);
    expect(await detail(orphan.id)).toBe(404);
    expect(await detail(arrived.id)).toMatchObject({ pending: false });
    expect(await detail(recent.id)).toMatchObject({ pending: true });
    expect(storedFiles(test.artifactsDir)).toHaveLength(files - 1);
    expect(await collectOrphanedPendingArtifacts(db, storage, HOUR_MS)).toBe(0);
  });

  it("deletes the artifacts of jobs retention removes, rows then files, and nothing else", async () => {
    const db = test.database.database.db;
    await insertJob(db, "ret-old");
    await insertJob(db, "ret-kept");
    const old = [await put("ret-old", "a.txt"), await put("ret-old", "b.txt")];
    const pendingOld = await put("ret-pending", "p.txt");
    const kept = await put("ret-kept", "k.txt");
    const files = storedFiles(test.artifactsDir).length;

    expect(await deleteArtifactFiles(db, storage, ["ret-old", "ret-pending", "ret-none"])).toBe(3);
    for (const artifact of [...old, pendingOld]) expect(await detail(artifact.id)).toBe(404);
    expect(await detail(kept.id)).toMatchObject({ pending: false });
    expect(storedFiles(test.artifactsDir)).toHaveLength(files - 3);
    // The job rows can now go without leaving files behind (artifacts rows cascade anyway).
    await db.deleteFrom("jobs").where("id", "=", "ret-old").execute();
    expect(await deleteArtifactFiles(db, storage, [])).toBe(0);
  });

  it("follows retention through its hooks: old jobs' artifacts and old orphans go, files included", async () => {
    const db = test.database.database.db;
    const old = Date.now() - 3 * HOUR_MS;
    // Finished long ago (retention keeps jobs that are not finished, however old).
    await insertJob(db, "hook-old", old, "complete");
    await insertJob(db, "hook-new");
    const gone = await put("hook-old", "old.txt");
    const orphan = await put("hook-orphan", "orphan.txt");
    await age(orphan.id, 3 * HOUR_MS);
    const kept = await put("hook-new", "new.txt");
    const files = storedFiles(test.artifactsDir).length;
    const retention = startRetention(test.deps, {
      ...artifactServiceHooks(test.deps, storage, test.app.log),
      retentionMs: HOUR_MS,
      firstRunDelayMs: HOUR_MS,
    });
    try {
      expect(await retention.runOnce()).toMatchObject({ deletedJobs: 1 });
    } finally {
      await retention.stop();
    }
    expect(await detail(gone.id)).toBe(404);
    expect(await detail(orphan.id)).toBe(404);
    expect(await detail(kept.id)).toMatchObject({ pending: false });
    expect(storedFiles(test.artifactsDir)).toHaveLength(files - 2);
  });

  it("promotes pending artifacts whose job has arrived in the periodic sweep", async () => {
    const early = await put("sweep-job", "early.txt");
    expect(early.pending).toBe(true);
    await insertJob(test.database.database.db, "sweep-job");
    const maintenance = new ArtifactSweep(test.deps, storage, test.app.log);
    await maintenance.sweep();
    expect(await detail(early.id)).toEqual({ ...early, pending: false });
  });
});

describe("the local directory storage", () => {
  let test: ArtifactTestApp;
  beforeAll(async () => {
    test = await createArtifactTestApp({ dialect: "sqlite", label: "artifacts-storage" });
  });
  afterAll(async () => {
    await test.close();
  });

  it("refuses keys that could leave its directory", async () => {
    const storage = new LocalDirectoryStorage(test.artifactsDir);
    for (const key of ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "", "a\\b"]) {
      await expect(storage.put(key, Readable.from(["x"]), 10), key).rejects.toThrow(/storage key/);
      await expect(storage.open(key), key).rejects.toThrow(/storage key/);
    }
    expect(storedFiles(test.artifactsDir)).toEqual([]);
  });

  it("stores atomically, serves ranges, reports a missing object and stops at the limit", async () => {
    const storage = new LocalDirectoryStorage(test.artifactsDir);
    const stored = await storage.put(
      "ab/one",
      Readable.from([Buffer.from("0123"), Buffer.from("456789")]),
      10,
    );
    expect(stored.size).toBe(10);
    const opened = await storage.open("ab/one", { start: 3, end: 6 });
    expect(opened.size).toBe(10);
    const chunks: Buffer[] = [];
    for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("3456");
    await expect(storage.put("ab/two", Readable.from(["0123456789", "x"]), 10)).rejects.toBeInstanceOf(
      ArtifactTooLargeError,
    );
    await expect(storage.open("ab/two")).rejects.toBeInstanceOf(StorageObjectNotFoundError);
    expect(storedFiles(test.artifactsDir)).toEqual(["ab/one"]);
    await storage.delete("ab/one");
    await storage.delete("ab/one");
    expect(storedFiles(test.artifactsDir)).toEqual([]);
  });

  it("removes partial files left by uploads that died with their process", async () => {
    const storage = new LocalDirectoryStorage(test.artifactsDir);
    const partials = join(test.artifactsDir, ".partial");
    mkdirSync(partials, { recursive: true });
    writeFileSync(join(partials, "dead.partial"), "half");
    writeFileSync(join(partials, "live.partial"), "still uploading");
    const longAgo = (Date.now() - STALE_PARTIAL_AGE_MS - 60_000) / 1000;
    utimesSync(join(partials, "dead.partial"), longAgo, longAgo);
    expect(await storage.removeStalePartials()).toBe(1);
    expect(storedFiles(test.artifactsDir)).toEqual([".partial/live.partial"]);
  });
});
