import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { REDIS_URL } from "./redis.js";

/** The repository root: the CLI runs from there, as users run `npx upnext`. */
export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
export const BIN = "packages/upnext/bin/upnext.js";

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Finished>;
  stdout(): string;
  stderr(): string;
}

/**
 * Starts the real `upnext` CLI as a subprocess against the test Redis. The log level is pinned so
 * a developer's UPNEXT_LOG_LEVEL=debug (which adds stacks) cannot change the output; `env` wins.
 */
export function spawnCli(args: readonly string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, UPNEXT_REDIS_URL: REDIS_URL, UPNEXT_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Finished>((resolveExit) => {
    child.on("close", (code, signal) => {
      resolveExit({ code, signal, stdout, stderr });
    });
  });
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<Finished> {
  return spawnCli(args, env).exited;
}
