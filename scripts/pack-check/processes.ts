/** Running commands for the pack check: each one echoed, its output kept for the failure message. */
import { spawn, spawnSync } from "node:child_process";

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Print the output as it comes (long steps: build, install). */
  readonly live?: boolean;
}

/**
 * The environment of a user's fresh shell: none of the npm_config_* variables `npm run` passes down
 * from this repository's .npmrc (its allow-scripts would break a project-scoped install), and not
 * the source condition the repository's own tools run with.
 */
export function userEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== "NODE_OPTIONS") env[key] = value;
  }
  return { ...env, ...extra };
}

export class CheckFailed extends Error {
  override name = "CheckFailed";
}

/**
 * Runs `body` while `background` runs, then stops it (SIGTERM) and requires a graceful exit (0).
 * A failure of `body` wins over one of the stop.
 */
export async function whileRunning(
  what: string,
  background: Background,
  body: () => void | Promise<void>,
): Promise<void> {
  let failure: Error | undefined;
  try {
    await body();
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
  }
  const code = await background.stop();
  if (failure !== undefined) throw failure;
  if (code !== 0) throw new CheckFailed(`${what} exited ${String(code)} on SIGTERM:\n${background.output()}`);
}

/** Runs a command to completion; never throws (check `code`). */
export function run(command: string, args: readonly string[], options: RunOptions): Ran {
  console.log(`$ ${[command, ...args].join(" ")}`);
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: "utf8",
    stdio: options.live === true ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command and throws CheckFailed (with its output) unless it exits 0. */
export function mustRun(what: string, command: string, args: readonly string[], options: RunOptions): Ran {
  const result = run(command, args, options);
  if (result.code !== 0) {
    throw new CheckFailed(`${what} failed (exit ${String(result.code)})\n${result.stdout}${result.stderr}`);
  }
  return result;
}

export interface Background {
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts a long-running command (a worker, a server) and collects its output. */
export function start(command: string, args: readonly string[], options: RunOptions): Background {
  console.log(`$ ${[command, ...args].join(" ")} &`);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      resolve(code);
    }),
  );
  return {
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Polls until `check` returns a value, or throws CheckFailed naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new CheckFailed(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
