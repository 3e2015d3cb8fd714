/**
 * What the browser tests run against, in the test's process: the history server serving the
 * built dashboard (its ingester fills the history), and a worker with the tasks the tests
 * submit. Everything on the real Redis, under a namespace of its own, with a fresh SQLite file.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Config, loadConfig } from "@upnext/core";
import { type RunningServer, openDatabase, startServer } from "@upnext/server";
import { Worker } from "upnext";
import { insertJobs, jobRow } from "../../server/test/helpers/seed-history.js";
import { deleteNamespaceKeys } from "./namespace-cleanup.js";

const REPO = join(import.meta.dirname, "..", "..", "..");
const REDIS_URL = process.env.UPNEXT_REDIS_URL ?? "redis://127.0.0.1:6379";
/** How long a "quick" job runs: long enough to be seen active. */
export const QUICK_JOB_MS = 2_000;
const QUICK_STEPS = 4;
/** A "slow" job runs until it is cancelled (or this long). */
const SLOW_JOB_MS = 60_000;

export interface E2eStack {
  readonly url: string;
  readonly config: Config;
  submitQuick(): Promise<string>;
  submitSlow(): Promise<string>;
  /** A tree of `size` jobs in the history (root first), returns the root's id. */
  seedTree(size: number): Promise<string>;
  stop(): Promise<void>;
}

/** Builds the dashboard when it is missing or older than its sources (what `npm start` does). */
export function ensureDashboardBuilt(): void {
  const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/build-dashboard-if-stale.ts"], {
    cwd: REPO,
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error("the dashboard build failed");
}

export async function startE2eStack(): Promise<E2eStack> {
  const namespace = `dash-e2e-${randomBytes(3).toString("hex")}`;
  const databaseFile = `/tmp/${namespace}.db`;
  const config = loadConfig(
    {
      UPNEXT_NAMESPACE: namespace,
      UPNEXT_REDIS_URL: REDIS_URL,
      UPNEXT_DATABASE_URL: databaseFile,
      UPNEXT_ARTIFACTS_DIR: `/tmp/${namespace}-artifacts`,
      UPNEXT_LOG_LEVEL: "silent",
    },
    () => undefined,
  );
  const server: RunningServer = await startServer({ config, host: "127.0.0.1", port: 0 });
  const database = await openDatabase(config.databaseUrl);
  const worker = new Worker({
    name: "e2e",
    namespace,
    redis: REDIS_URL,
    concurrency: 8,
    handleSignals: false,
  });
  // One at a time, so a second job visibly waits in the queue while the first runs.
  const quick = worker.task("e2e-quick", { concurrency: 1, timeout: "30s" }, async (_input: object, ctx) => {
    for (let step = 1; step <= QUICK_STEPS; step++) {
      await sleep(QUICK_JOB_MS / QUICK_STEPS, undefined, { signal: ctx.signal });
      ctx.progress({ current: step, total: QUICK_STEPS });
    }
    return { done: true };
  });
  const slow = worker.task("e2e-slow", { timeout: "2m" }, async (_input: object, ctx) => {
    await sleep(SLOW_JOB_MS, undefined, { signal: ctx.signal });
    return { done: true };
  });
  await worker.start();
  return {
    url: server.url,
    config,
    submitQuick: async () => (await quick.submit({})).id,
    submitSlow: async () => (await slow.submit({})).id,
    async seedTree(size) {
      const base = Date.now() - 60_000;
      const root = jobRow({ function: "e2e-tree", created_at: base });
      const seeds = [root];
      // The first hundred hang under the root, the rest under them: a tree two levels deep.
      const branches = 99;
      for (let index = 1; index < size; index++) {
        const parent = index <= branches ? root : (seeds[(index % branches) + 1] ?? root);
        seeds.push(
          jobRow({
            function: index <= branches ? "e2e-tree-branch" : "e2e-tree-leaf",
            root_id: root.id,
            parent_id: parent.id,
            reported_parent_id: parent.id,
            created_at: base + index,
          }),
        );
      }
      await insertJobs(database.db, seeds);
      return root.id;
    },
    async stop() {
      await worker.stop();
      await deleteNamespaceKeys(server.deps.redis, namespace).catch(() => undefined);
      await server.close();
      await database.close();
      await rm(databaseFile, { force: true });
      await rm(`${databaseFile}-wal`, { force: true });
      await rm(`${databaseFile}-shm`, { force: true });
      await rm(`/tmp/${namespace}-artifacts`, { recursive: true, force: true });
    },
  };
}
