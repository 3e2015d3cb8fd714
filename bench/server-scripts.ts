/**
 * Server benchmarks that run as scripts of their own (each starts and measures its own server
 * process) after the queue workloads of `npm run bench`, or alone with `--only=<name>`.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const SERVER_SCRIPTS = {
  artifacts: "artifacts.ts",
  ingest: "ingest.ts",
  history: "history.ts",
  http: "http.ts",
} as const;
export type ServerScriptName = keyof typeof SERVER_SCRIPTS;
export const SERVER_SCRIPT_NAMES = Object.keys(SERVER_SCRIPTS) as ServerScriptName[];

export function isServerScriptName(name: string): name is ServerScriptName {
  return Object.hasOwn(SERVER_SCRIPTS, name);
}

/** Runs each script in turn (stdout and stderr shared); a failing one sets the exit code. */
export async function runServerScripts(names: readonly ServerScriptName[], quick: boolean): Promise<void> {
  for (const name of names) {
    const script = fileURLToPath(new URL(SERVER_SCRIPTS[name], import.meta.url));
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", script, ...(quick ? ["--quick"] : [])], {
        stdio: "inherit",
      });
      child.once("error", reject);
      child.once("exit", resolve);
    });
    if (code !== 0) {
      console.error(`${name} benchmark exited with code ${String(code)}`);
      process.exitCode = 1;
    }
  }
}
