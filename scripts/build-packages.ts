/**
 * `npm run build`: compiles the publishable packages (@upnext/core, upnext, @upnext/server) from
 * src/ to dist/ with `tsc -b` (JavaScript, .d.ts, declaration and source maps; incremental, so an
 * up-to-date tree takes seconds), copies the files tsc does not emit (the Lua scripts), removes
 * outputs whose source is gone (a moved or deleted file must not linger in a tarball), then builds
 * the dashboard into @upnext/server's dashboard/ folder. docs/decisions/0018 says why tsc.
 *
 *   npm run build                 # everything
 *   npm run build -- --packages   # the three packages only, not the dashboard
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** The packages `tsconfig.build.json` references, in build order. */
const PUBLISHED_PACKAGES = ["core", "upnext", "server"] as const;

/** What tsc writes for one source file `x.ts`. */
const EMITTED = [".js", ".js.map", ".d.ts", ".d.ts.map"];

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function run(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    stdio: "inherit",
    shell: process.platform === "win32",
  });
  if (result.status !== 0) {
    console.error(`build: \`${command} ${args.join(" ")}\` failed (exit ${String(result.status)})`);
    process.exit(1);
  }
}

/** Every non-TypeScript file under src/ (Lua scripts, JSON, …) is copied to the same place in dist/. */
function copyAssets(src: string, dist: string): number {
  let copied = 0;
  for (const file of filesUnder(src)) {
    if (file.endsWith(".ts")) continue;
    const target = join(dist, relative(src, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
    copied++;
  }
  return copied;
}

/** Removes dist/ files whose source (x.ts for x.js, x.d.ts, their maps; or the asset) no longer exists. */
function pruneOrphans(src: string, dist: string): string[] {
  const removed: string[] = [];
  for (const file of filesUnder(dist)) {
    const rel = relative(dist, file);
    if (rel === ".tsbuildinfo") continue;
    const suffix = EMITTED.find((ending) => rel.endsWith(ending));
    const source = suffix === undefined ? rel : `${rel.slice(0, -suffix.length)}.ts`;
    if (existsSync(join(src, source))) continue;
    rmSync(file);
    removed.push(relative(ROOT, file));
  }
  return removed;
}

function main(): void {
  const packagesOnly = process.argv.includes("--packages");
  run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-b", "tsconfig.build.json"]);
  for (const name of PUBLISHED_PACKAGES) {
    const src = join(ROOT, "packages", name, "src");
    const dist = join(ROOT, "packages", name, "dist");
    const copied = copyAssets(src, dist);
    const removed = pruneOrphans(src, dist);
    const notes = [
      copied > 0 ? `${String(copied)} assets copied` : "",
      removed.length > 0 ? `removed ${removed.join(", ")}` : "",
    ];
    console.log(`build: packages/${name}/dist ${notes.filter(Boolean).join("; ") || "up to date"}`);
  }
  if (!packagesOnly) run("npm", ["run", "build", "--silent", "-w", "@upnext/dashboard"]);
}

main();
