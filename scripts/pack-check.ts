/**
 * `npm run pack:check`: are the packages what a user installs and runs? Builds them, lints the
 * manifests (publint, @arethetypeswrong/cli), packs each into a temporary folder (printing sizes
 * and file counts; a test file in a tarball fails the check), installs the tarballs into a fresh
 * project outside the repository and runs every consumer (scripts/pack-check/consumer-checks.ts)
 * on this Node and on the LTS lines (scripts/pack-check/node-binaries.ts). Needs Redis at
 * UPNEXT_REDIS_URL (default redis://127.0.0.1:6379); cleans its own namespace. See docs/releasing.md.
 *
 *   npm run pack:check                   # everything
 *   npm run pack:check -- --no-build     # use the dist/ folders as they are
 *   npm run pack:check -- --current-node # consumers on this Node only
 *   npm run pack:check -- --keep         # keep the temporary folder (its path is printed)
 */
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import {
  checkCli,
  checkCommonJs,
  checkEsm,
  checkServer,
  checkTypeScript,
  type ConsumerEnv,
} from "./pack-check/consumer-checks.js";
import { LTS_NODE_VERSIONS, currentNode, nodeBinary, type NodeBinary } from "./pack-check/node-binaries.js";
import { CheckFailed, mustRun, userEnv } from "./pack-check/processes.js";
import {
  PACKAGES,
  describe,
  packAll,
  tarballProblems,
  type PackageName,
  type Tarball,
} from "./pack-check/tarballs.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./pack-check/consumer/", import.meta.url));
const REDIS_URL = process.env.UPNEXT_REDIS_URL ?? "redis://127.0.0.1:6379";
const BIN = (name: string): string => join(ROOT, "node_modules", ".bin", name);

/** Files each tarball must hold besides package.json, README.md and LICENSE. */
const MUST_HAVE: Record<PackageName, readonly string[]> = {
  "@upnext/core": ["dist/index.js", "dist/index.d.ts"],
  upnext: [
    "dist/index.js",
    "dist/index.d.ts",
    "dist/cli/main.js",
    "bin/upnext.js",
    "dist/backend/redis/lua/claim.lua",
  ],
  "@upnext/server": ["dist/index.js", "dist/index.d.ts", "dashboard/index.html"],
};

/** The consumer project's own dependencies, at the versions this repository's lockfile has. */
function devVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (version === undefined) throw new CheckFailed(`package-lock.json has no ${name}`);
  return version;
}

function lintManifests(tarballs: readonly Tarball[]): void {
  for (const { dir } of PACKAGES) mustRun(`publint ${dir}`, BIN("publint"), [dir], { cwd: ROOT, live: true });
  // ESM only, on purpose (docs/decisions/0018): require() of it works through Node's require(esm).
  for (const tarball of tarballs) {
    mustRun(
      `attw ${tarball.name}`,
      BIN("attw"),
      [tarball.path, "--profile", "esm-only", "--format", "table-flipped"],
      {
        cwd: ROOT,
        live: true,
      },
    );
  }
}

function createConsumer(dir: string, tarballs: readonly Tarball[]): void {
  cpSync(FIXTURES, dir, { recursive: true });
  const file = (name: PackageName): string =>
    `file:./${basename(tarballs.find((t) => t.name === name)?.path ?? "")}`;
  for (const tarball of tarballs) cpSync(tarball.path, join(dir, basename(tarball.path)));
  const local = Object.fromEntries(PACKAGES.map(({ name }) => [name, file(name)]));
  const manifest = {
    name: "upnext-pack-check-consumer",
    private: true,
    type: "module",
    dependencies: { ...local, zod: devVersion("zod") },
    devDependencies: { typescript: devVersion("typescript"), "@types/node": devVersion("@types/node") },
    // The tarballs depend on each other by version, which no registry has yet.
    overrides: local,
    // npm 11.19+ runs only approved install scripts: better-sqlite3 builds its native addon in one.
    allowScripts: { "better-sqlite3": true },
  };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const installed = mustRun(
    "npm install (the tarballs, in a fresh project)",
    "npm",
    ["install", "--no-audit", "--no-fund"],
    {
      cwd: dir,
      env: userEnv(),
    },
  );
  const warnings = `${installed.stdout}${installed.stderr}`
    .split("\n")
    .filter((line) => /EBADENGINE|WARN/i.test(line));
  if (warnings.length > 0) console.log(`  npm install warned:\n    ${warnings.join("\n    ")}`);
}

/** better-sqlite3 is a native addon: rebuild it for the Node version about to run the server. */
function rebuildNativeAddons(dir: string, node: NodeBinary): void {
  if (node.nodedir === "") return;
  mustRun(`npm rebuild better-sqlite3 for Node ${node.version}`, "npm", ["rebuild", "better-sqlite3"], {
    cwd: dir,
    env: userEnv({
      PATH: `${join(node.node, "..")}:${process.env.PATH ?? ""}`,
      npm_config_nodedir: node.nodedir,
    }),
  });
}

async function deleteNamespace(namespace: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${namespace}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

async function checkConsumers(consumer: ConsumerEnv, withTypeScript: boolean): Promise<void> {
  const steps: [string, () => void | Promise<void>][] = [
    [
      "plain ESM (node app.mjs)",
      () => {
        checkEsm(consumer);
      },
    ],
    [
      'CommonJS (require("upnext"))',
      () => {
        checkCommonJs(consumer);
      },
    ],
    ...(withTypeScript
      ? [
          [
            "TypeScript, node16 and bundler",
            () => {
              checkTypeScript(consumer);
            },
          ] as [string, () => void],
        ]
      : []),
    ["the CLI (--help, run and call with .js and .ts entries)", () => checkCli(consumer)],
    ["upnext server start (dashboard at /)", () => checkServer(consumer)],
  ];
  for (const [what, step] of steps) {
    console.log(`\n-- Node ${consumer.node.version}: ${what}`);
    await step();
    console.log(`   ok`);
  }
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  if (!args.has("--no-build"))
    mustRun("npm run build", "npm", ["run", "build", "--silent"], { cwd: ROOT, live: true });

  const work = mkdtempSync(join(tmpdir(), "upnext-pack-check-"));
  const namespace = `pack-check-${randomBytes(4).toString("hex")}`;
  try {
    console.log(`\n== pack (into ${work})`);
    const tarballs = packAll(ROOT, work);
    const problems = tarballs.flatMap((t) =>
      tarballProblems(t, MUST_HAVE[t.name]).map((p) => `${t.name} ${p}`),
    );
    for (const tarball of tarballs) console.log(`  ${describe(tarball)}`);
    if (problems.length > 0) throw new CheckFailed(`tarball problems:\n  ${problems.join("\n  ")}`);

    console.log("\n== publint and @arethetypeswrong/cli");
    lintManifests(tarballs);

    console.log("\n== a fresh project outside the repository");
    const consumerDir = join(work, "consumer");
    createConsumer(consumerDir, tarballs);

    const nodes = [currentNode(), ...(args.has("--current-node") ? [] : LTS_NODE_VERSIONS.map(nodeBinary))];
    const settings = { UPNEXT_REDIS_URL: REDIS_URL, UPNEXT_NAMESPACE: namespace };
    for (const [index, node] of nodes.entries()) {
      rebuildNativeAddons(consumerDir, node);
      // Type-checking does not depend on the Node version: once is enough.
      await checkConsumers({ dir: consumerDir, node, settings }, index === 0);
    }
    console.log(
      `\npack check passed: ${String(tarballs.length)} tarballs, consumers on Node ${nodes.map((n) => n.version).join(", ")}`,
    );
  } finally {
    await deleteNamespace(namespace);
    if (args.has("--keep")) console.log(`kept ${work}: ${readdirSync(work).join(", ")}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`\npack check FAILED: ${error instanceof CheckFailed ? error.message : String(error)}`);
  if (!(error instanceof CheckFailed) && error instanceof Error) console.error(error.stack);
  process.exit(1);
});
