/**
 * The consumers of the installed tarballs, run in a project outside the repository (fixtures in
 * ./consumer/): plain ESM (the README's Quick start), CommonJS through require(esm), TypeScript
 * under node16 and bundler resolution, the CLI (`--help`, `run`/`call` with a .js and a .ts entry)
 * and `upnext server start` serving the dashboard. Each throws CheckFailed saying what broke.
 */
import { dirname, join } from "node:path";
import type { NodeBinary } from "./node-binaries.js";
import { CheckFailed, mustRun, run, start, userEnv, waitFor, whileRunning } from "./processes.js";

export interface ConsumerEnv {
  /** The consumer project (tarballs installed). */
  readonly dir: string;
  readonly node: NodeBinary;
  /** UPNEXT_* settings: Redis URL and a namespace of this run's own. */
  readonly settings: Readonly<Record<string, string>>;
}

const STARTUP_MS = 90_000;
/**
 * What `npx upnext` runs. Long-running commands start it directly: npx does not pass SIGTERM on
 * to its child, so the graceful stop (exit 0) could not be checked through it.
 */
const UPNEXT_BIN = join("node_modules", ".bin", "upnext");

function envFor(consumer: ConsumerEnv): NodeJS.ProcessEnv {
  // The chosen Node first on PATH, so `npx` and the CLI's `#!/usr/bin/env node` run on it.
  const path = `${dirname(consumer.node.node)}:${process.env.PATH ?? ""}`;
  return userEnv({ ...consumer.settings, PATH: path, UPNEXT_LOG_LEVEL: "warn" });
}

function expectOutput(what: string, output: string, pattern: RegExp): void {
  if (!pattern.test(output))
    throw new CheckFailed(`${what}: expected output matching ${String(pattern)}, got:\n${output}`);
}

export function checkEsm(consumer: ConsumerEnv): void {
  const ran = mustRun("node app.mjs (the README's Quick start)", consumer.node.node, ["app.mjs"], {
    cwd: consumer.dir,
    env: envFor(consumer),
  });
  expectOutput("node app.mjs", ran.stdout, /^Hello, Ada!$/m);
}

export function checkCommonJs(consumer: ConsumerEnv): void {
  const ran = mustRun('require("upnext") (node app.cjs)', consumer.node.node, ["app.cjs"], {
    cwd: consumer.dir,
    env: envFor(consumer),
  });
  expectOutput("node app.cjs", ran.stdout, /^doubled 42$/m);
}

/** Strict TypeScript under both resolutions; types.ts also asserts a wrong input is an error. */
export function checkTypeScript(consumer: ConsumerEnv): void {
  const tsc = join(consumer.dir, "node_modules", "typescript", "bin", "tsc");
  for (const mode of ["node16", "bundler"]) {
    mustRun(
      `tsc (moduleResolution ${mode}, strict, skipLibCheck false)`,
      consumer.node.node,
      [tsc, "-p", `tsconfig.${mode}.json`],
      {
        cwd: consumer.dir,
        env: envFor(consumer),
      },
    );
  }
}

/** Node's own type stripping is on by default from 22.18 and 23.6. */
function stripsTypes(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
}

export async function checkCli(consumer: ConsumerEnv): Promise<void> {
  const options = { cwd: consumer.dir, env: envFor(consumer) };
  const help = mustRun("npx upnext --help", "npx", ["--no-install", "upnext", "--help"], options);
  expectOutput("npx upnext --help", help.stdout, /Usage: upnext/);

  const worker = start(consumer.node.node, [UPNEXT_BIN, "run", "worker.js"], options);
  await whileRunning("upnext run worker.js", worker, () => {
    const call = ["--no-install", "upnext", "call", "--wait", "--timeout", "60s", "--input", '{"text":"hi"}'];
    const js = mustRun(
      "upnext call worker.js (run by upnext run worker.js)",
      "npx",
      [...call, "worker.js", "shout"],
      options,
    );
    expectOutput("upnext call worker.js", js.stdout, /"text":\s*"HI"/);

    const ts = run("npx", [...call, "worker.ts", "shout"], options);
    if (stripsTypes(consumer.node.version)) {
      if (ts.code !== 0)
        throw new CheckFailed(
          `upnext call worker.ts (Node's type stripping) exited ${String(ts.code)}:\n${ts.stderr}`,
        );
      expectOutput("upnext call worker.ts", ts.stdout, /"text":\s*"HI"/);
    } else {
      // No tsx installed and no type stripping: a clear error (exit 2) naming what to install.
      if (ts.code !== 2)
        throw new CheckFailed(
          `upnext call worker.ts without a loader exited ${String(ts.code)}, expected 2:\n${ts.stdout}${ts.stderr}`,
        );
      expectOutput("upnext call worker.ts without a loader", ts.stderr, /npm install --save-dev tsx/);
    }
  });
}

/** The scripts and stylesheets index.html loads (the built dashboard's hashed assets). */
function assetPaths(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1] ?? "");
}

export async function checkServer(consumer: ConsumerEnv): Promise<void> {
  const server = start(consumer.node.node, [UPNEXT_BIN, "server", "start", "--port", "0"], {
    cwd: consumer.dir,
    env: envFor(consumer),
  });
  await whileRunning("upnext server start", server, async () => {
    const url = await waitFor(
      "`upnext server start` to listen",
      () => /listening on (http:\/\/\S+) /.exec(server.output())?.[1],
      STARTUP_MS,
    ).catch((error: unknown) => {
      throw new CheckFailed(`${String(error)}\n${server.output()}`);
    });
    const index = await fetch(`${url}/`);
    const html = await index.text();
    if (index.status !== 200 || !(index.headers.get("content-type") ?? "").startsWith("text/html")) {
      throw new CheckFailed(
        `GET / answered ${String(index.status)} ${index.headers.get("content-type") ?? ""}:\n${html.slice(0, 500)}`,
      );
    }
    const assets = assetPaths(html);
    if (assets.length === 0)
      throw new CheckFailed(`GET / has no /assets/ scripts or styles:\n${html.slice(0, 500)}`);
    for (const asset of assets) {
      const response = await fetch(`${url}${asset}`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new CheckFailed(`GET ${asset} answered ${String(response.status)}`);
    }
    console.log(`  dashboard: GET / 200 text/html, ${String(assets.length)} assets 200`);
  });
}
