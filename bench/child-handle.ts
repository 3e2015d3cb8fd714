/**
 * The parent's side of one worker child (child.ts): forking it, its ordered inbox of IPC
 * messages, and stopping it.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { isChildMessage, type ChildMessage, type ChildSpec, type ParentMessage } from "./shared.js";

/**
 * The worker child runs as compiled JavaScript against the packages' dist/ — what users run — with
 * no TypeScript loader in the process (`npm run bench` builds both first; see bench/README.md).
 */
const CHILD_PATH = fileURLToPath(new URL("./dist/child.js", import.meta.url));

/**
 * --cpu-prof: each child writes its CPU profile to `<dir><label>.cpuprofile`; --heap-prof:
 * its heap profile to `<dir><label>.heapprofile`.
 */
export interface Profiling {
  readonly cpu: boolean;
  readonly heap: boolean;
  readonly dir: string;
}

type MessageOf<T extends ChildMessage["type"]> = Extract<ChildMessage, { type: T }>;

/** One forked worker process and its ordered inbox of IPC messages. */
export class ChildHandle {
  private readonly process: ChildProcess;
  private readonly inbox: ChildMessage[] = [];
  private wake: (() => void) | undefined;
  private exitError: Error | undefined;
  private stopping: Promise<void> | undefined;
  private readonly exited: Promise<void>;

  constructor(spec: ChildSpec, label: string, profiling: Profiling) {
    const execArgv: string[] = [];
    if (profiling.cpu)
      execArgv.push("--cpu-prof", `--cpu-prof-dir=${profiling.dir}`, `--cpu-prof-name=${label}.cpuprofile`);
    if (profiling.heap)
      execArgv.push(
        "--heap-prof",
        `--heap-prof-dir=${profiling.dir}`,
        `--heap-prof-name=${label}.heapprofile`,
      );
    this.process = fork(CHILD_PATH, [JSON.stringify(spec)], {
      execArgv,
      // Without NODE_OPTIONS: a --conditions=@upnext/source there would load the sources.
      env: { ...process.env, NODE_OPTIONS: "", UPNEXT_LOG_LEVEL: "warn", UPNEXT_REDIS_URL: spec.redisUrl },
    });
    this.process.on("message", (message: unknown) => {
      if (!isChildMessage(message)) return;
      this.inbox.push(message);
      this.wake?.();
    });
    // Failing to fork or to send: recorded, so the next wait fails instead of the process crashing.
    this.process.on("error", (error) => {
      this.exitError ??= error;
      this.wake?.();
    });
    this.exited = new Promise((resolve) => {
      this.process.once("exit", (code, signal) => {
        this.exitError = new Error(
          `worker child ${label} exited (code ${code ?? "-"}, signal ${signal ?? "-"})`,
        );
        this.wake?.();
        resolve();
      });
    });
  }

  /** The next message, which must be of `type` (an "error" message rejects with the child's stack). */
  async next<T extends ChildMessage["type"]>(type: T, timeoutMs: number): Promise<MessageOf<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.inbox.shift();
      if (message) {
        if (message.type === "error") throw new Error(`worker child failed:\n${message.message}`);
        if (message.type !== type)
          throw new Error(`expected '${type}' from the worker child, got '${message.type}'`);
        return message as MessageOf<T>;
      }
      if (this.exitError) throw this.exitError;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for '${type}' from the worker child (rerun with --verbose to see its counters)`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  send(message: ParentMessage): void {
    this.process.send(message);
  }

  /** Asks the child to stop its worker and waits for it to exit; kills it if it does not. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<void> {
    try {
      if (!this.running) return;
      this.send({ type: "stop" });
      await this.next("stopped", 60_000);
      await Promise.race([this.exited, sleep(10_000)]);
    } finally {
      if (this.running) this.process.kill();
    }
  }

  private get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }
}
