import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { REDIS_URL } from "./redis.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export interface Spawned {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Runs a TypeScript fixture in its own Node process (through tsx), with extra environment. */
export function spawnFixture(fixture: string, env: Record<string, string>): Spawned {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL(`../fixtures/${fixture}`, import.meta.url))],
    {
      cwd: ROOT,
      env: { ...process.env, UPNEXT_REDIS_URL: REDIS_URL, UPNEXT_LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      resolve({ code, signal });
    });
  });
  return { child, exited, output: () => output };
}
