/**
 * What the artifact tests share: an app whose artifact directory is a fresh temporary one, a
 * job row inserted the way ingest would, and a look at what the directory holds.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { DialectName } from "../../src/store/database.js";
import type { HistorySchema } from "../../src/store/schema.js";
import { type TestApp, createTestApp } from "./app.js";

export interface ArtifactTestApp extends TestApp {
  readonly artifactsDir: string;
}

export async function createArtifactTestApp(options: {
  readonly dialect: DialectName;
  readonly label: string;
  readonly env?: Record<string, string>;
  readonly redisUrl?: string;
}): Promise<ArtifactTestApp> {
  const artifactsDir = mkdtempSync(join(tmpdir(), "upnext-artifacts-"));
  const test = await createTestApp({
    ...options,
    env: { UPNEXT_ARTIFACTS_DIR: artifactsDir, ...options.env },
  });
  return {
    ...test,
    artifactsDir,
    close: async () => {
      await test.close();
      rmSync(artifactsDir, { recursive: true, force: true });
    },
  };
}

/** A job row as ingest inserts it (only the columns without defaults). */
export async function insertJob(
  db: Kysely<HistorySchema>,
  id: string,
  now = Date.now(),
  status: "active" | "complete" = "active",
): Promise<void> {
  await db
    .insertInto("jobs")
    .values({
      id,
      function: "make-report",
      status,
      finished_at: status === "complete" ? now : null,
      root_id: id,
      created_at: now,
      updated_at: now,
      state_phase: 1,
      state_at: now,
      kind: "task",
      attempt: 1,
      deliveries: 1,
      priority: 0,
      progress: 0,
    })
    .execute();
}

/** Every stored file under the directory (partial uploads included), relative to it. */
export function storedFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(directory.length + 1))
    .sort();
}
