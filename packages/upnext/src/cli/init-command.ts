/**
 * `upnext init [dir]`: scaffolds a project's first worker — a worker file, a `worker` script in
 * package.json (created if there is none) and a .env.example of the settings a deployment sets.
 * It never overwrites: if any of the files (or the script) exists, it writes nothing and says
 * which, so running it twice is harmless.
 */
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { Command } from "commander";
import { CliError, messageOf } from "./cli-error.js";
import { displayPath } from "./load-entry.js";

export interface InitFlags {
  /** Name of the worker file (default worker.ts). */
  readonly file?: string;
  /** Name of the package.json script (default worker). */
  readonly script?: string;
}

export interface InitIo {
  readonly stdout: (line: string) => void;
}

const defaultIo: InitIo = {
  stdout: (line) => {
    process.stdout.write(`${line}\n`);
  },
};

export const WORKER_TEMPLATE = `import { Worker } from "upnext";

// One worker process runs every task defined on it: \`upnext run <this file>\`.
export const worker = new Worker({ name: "app" });

export const sendWelcome = worker.task(
  "send-welcome",
  { retries: 3, timeout: "30s" },
  async (input: { email: string }, ctx) => {
    ctx.log("info", "sending welcome mail", { email: input.email });
    // ... call your mail provider here; throw to retry.
    return { sent: true };
  },
);

// Runs every day at 03:00 UTC on whichever worker gets there first.
worker.cron("nightly-cleanup", "0 3 * * *", {}, async (_input, ctx) => {
  ctx.log("info", "cleaning up");
  return null;
});
`;

export const ENV_TEMPLATE = `# Copy to .env (or set in your deployment) and adjust; every setting is in docs/configuration.md.
UPNEXT_REDIS_URL=redis://127.0.0.1:6379
# Prefix of every Redis key: one per application sharing a Redis.
UPNEXT_NAMESPACE=upnext
UPNEXT_LOG_LEVEL=info
# auto: readable lines on a terminal, JSON otherwise.
UPNEXT_LOG_FORMAT=auto
# Jobs one worker runs at once.
UPNEXT_CONCURRENCY=10
# Serve /health, /ready and /metrics on this port (probe with \`upnext health --url\`).
UPNEXT_WORKER_HTTP_PORT=
UPNEXT_WORKER_HTTP_TOKEN=
# The history server (\`upnext server start\`), for artifacts and the dashboard.
UPNEXT_SERVER_URL=http://127.0.0.1:8080
UPNEXT_API_TOKEN=
`;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function checkFileName(name: string): string {
  if (!/^[\w.-]+\.(ts|mts|js|mjs)$/.test(name) || name.startsWith(".")) {
    throw new CliError(
      `--file ${JSON.stringify(name)} is not a file name in the directory; give one like worker.ts (.ts, .mts, .js or .mjs).`,
    );
  }
  return name;
}

async function readPackage(path: string): Promise<Record<string, unknown> | undefined> {
  if (!(await exists(path))) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new CliError(
      `${displayPath(path)} is not valid JSON (${messageOf(error)}); fix it and run init again.`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new CliError(`${displayPath(path)} is not a JSON object; fix it and run init again.`);
  return parsed as Record<string, unknown>;
}

export async function initProject(dir: string, flags: InitFlags = {}, io: InitIo = defaultIo): Promise<void> {
  const root = resolve(dir);
  const file = checkFileName(flags.file ?? "worker.ts");
  const script = flags.script ?? "worker";
  if (!/^[\w:.-]+$/.test(script))
    throw new CliError(
      `--script ${JSON.stringify(script)} is not a script name; use letters, digits, ':', '.', '_' or '-'.`,
    );
  const workerPath = join(root, file);
  const envPath = join(root, ".env.example");
  const packagePath = join(root, "package.json");

  // Everything is checked before anything is written: a refusal leaves the directory as it was.
  const taken = [];
  for (const path of [workerPath, envPath]) if (await exists(path)) taken.push(displayPath(path));
  const pkg = await readPackage(packagePath);
  const scripts = (pkg?.scripts ?? {}) as Record<string, unknown>;
  if (typeof scripts !== "object" || Array.isArray(scripts))
    throw new CliError(
      `"scripts" in ${displayPath(packagePath)} is not an object; fix it and run init again.`,
    );
  if (scripts[script] !== undefined) taken.push(`the "${script}" script in ${displayPath(packagePath)}`);
  if (taken.length > 0) {
    throw new CliError(
      `Not overwriting ${taken.join(", ")}; nothing was written. Remove them, or choose other names with --file and --script.`,
    );
  }

  await mkdir(root, { recursive: true });
  const command = `upnext run ${file}`;
  const updated = pkg
    ? { ...pkg, scripts: { ...scripts, [script]: command } }
    : {
        name: basename(root)
          .toLowerCase()
          .replace(/[^a-z0-9._-]/g, "-"),
        private: true,
        type: "module",
        scripts: { [script]: command },
      };
  // "wx": fails instead of replacing a file created since the check.
  await writeFile(workerPath, WORKER_TEMPLATE, { flag: "wx" });
  await writeFile(envPath, ENV_TEMPLATE, { flag: "wx" });
  await writeFile(packagePath, `${JSON.stringify(updated, null, 2)}\n`);
  io.stdout(`created ${displayPath(workerPath)}`);
  io.stdout(`created ${displayPath(envPath)}`);
  io.stdout(`${pkg ? "updated" : "created"} ${displayPath(packagePath)} (script "${script}": ${command})`);
  if (pkg && pkg.type !== "module" && /\.(ts|js)$/.test(file)) {
    // The scaffold uses ES module syntax; in a CommonJS package a .ts/.js file would not load.
    io.stdout(
      `note: ${displayPath(packagePath)} has no "type": "module"; add it, or rename the file to .mts`,
    );
  }
  io.stdout(`next: npm install upnext, start Redis, then npm run ${script}`);
}

export function registerInitCommand(program: Command): void {
  program
    .command("init")
    .description("Scaffold a worker file, a package.json script and a .env.example (never overwrites)")
    .argument("[dir]", "project directory (default: the current one)", ".")
    .option("--file <name>", "worker file name (default worker.ts)")
    .option("--script <name>", "package.json script that runs it (default worker)")
    .action(async (dir: string, flags: InitFlags) => {
      await initProject(dir, flags);
    });
}
