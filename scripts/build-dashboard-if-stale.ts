/**
 * `npm start` runs this first: it builds the dashboard (into packages/server/dashboard) when there is no
 * build yet or a source file is newer than it, so a fresh clone or a `git pull` opens onto the
 * current dashboard. An up-to-date build costs a few file stats; a build takes a few seconds.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const DASHBOARD = fileURLToPath(new URL("../packages/dashboard/", import.meta.url));
const BUILT_INDEX = fileURLToPath(new URL("../packages/server/dashboard/index.html", import.meta.url));
/** What the build reads; a change to any of these makes the build stale. */
const SOURCES = ["src", "public", "index.html", "vite.config.ts", "build-report.ts", "package.json"];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function staleReason(): string | undefined {
  if (!existsSync(BUILT_INDEX)) return "no build yet";
  const built = statSync(BUILT_INDEX).mtimeMs;
  const newest = Math.max(...SOURCES.map((source) => newestMtime(join(DASHBOARD, source))));
  return newest > built ? "its sources changed since the last build" : undefined;
}

const reason = staleReason();
if (reason !== undefined) {
  console.log(`dashboard: building packages/dashboard (${reason})…`);
  const result = spawnSync("npm", ["run", "build", "--silent", "-w", "@upnext/dashboard"], {
    stdio: ["ignore", "ignore", "inherit"],
    shell: process.platform === "win32",
  });
  if (result.status !== 0) {
    console.error(
      "dashboard: the build failed (see above); the server will say so at /. Run `npm run build` to retry.",
    );
  } else {
    console.log("dashboard: built.");
  }
}
