/**
 * A pool of worker threads for CPU-bound handlers (`isolate: "thread"`). A handler that never yields
 * cannot observe an AbortSignal, so a timeout or cancel stops it the only way that always works:
 * terminating its thread. The pool then replaces the thread when there is work for it.
 */

import { Worker } from "node:worker_threads";
import { isAbsolute } from "node:path";
import { InvalidOptionError } from "@upnext/core";
import type { Logger } from "../observability/logger.js";
import type { RunRequest, SerializedError, ThreadData, ThreadJob, ThreadReply } from "./thread-protocol.js";

export interface ThreadPoolOptions {
  readonly maxThreads: number;
  /** Default 30_000; idle threads exit. */
  readonly idleTimeoutMs?: number;
  readonly logger: Logger;
}

interface Pending {
  readonly id: number;
  readonly job: ThreadJob;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  readonly onAbort: () => void;
  slot?: Slot;
}

type Outcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

interface Slot {
  readonly worker: Worker;
  readonly exited: Promise<void>;
  pending?: Pending | undefined;
  idleTimer?: NodeJS.Timeout | undefined;
  exiting: boolean;
  crash?: Error;
}

const SELF_IS_TYPESCRIPT = /\.[cm]?ts$/.test(new URL(import.meta.url).pathname);
const ENTRY_URL = new URL(SELF_IS_TYPESCRIPT ? "./thread-entry.ts" : "./thread-entry.js", import.meta.url);

/**
 * How the thread gets a TypeScript loader, found by trying on Node 20.20: `execArgv: ["--import", "tsx"]`
 * does NOT work in a worker there (tsx's loader only registers itself on the main thread on Node
 * versions without `worker_threads.isInternalThread`), so the thread still fails with "Unknown file
 * extension .ts". Calling tsx's `register()` inside the thread does work, and it must run before the
 * .ts entry is imported, so the thread starts from a tiny data: module that does exactly that. It
 * imports tsx by absolute URL because a data: module cannot resolve bare specifiers; import.meta.resolve
 * is there both under tsx and under vitest. Compiled to .js, the entry starts directly and registers
 * tsx itself before the first .ts handler.
 */
let threadMain: URL | undefined;
function threadMainUrl(): URL {
  if (!SELF_IS_TYPESCRIPT) return ENTRY_URL;
  if (threadMain === undefined) {
    const api = JSON.stringify(import.meta.resolve("tsx/esm/api"));
    const source = `import { register } from ${api};\nregister();\nawait import(${JSON.stringify(ENTRY_URL.href)});\n`;
    threadMain = new URL(`data:text/javascript,${encodeURIComponent(source)}`);
  }
  return threadMain;
}

const LOADER_FLAGS = new Set(["--require", "-r", "--import", "--loader", "--experimental-loader"]);
const TSX_SPECIFIER = /(^|[\\/])tsx([\\/]|$)/;
function withoutTsxFlags(args: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const [flag = "", inline] = arg.split(/=(.*)/s, 2);
    if (!LOADER_FLAGS.has(flag)) {
      kept.push(arg);
      continue;
    }
    const value = inline ?? args[i + 1] ?? "";
    if (inline === undefined) i++;
    if (!TSX_SPECIFIER.test(value)) kept.push(...(inline === undefined ? [flag, value] : [arg]));
  }
  return kept;
}

/**
 * The parent's tsx flags are dropped so that on Node versions where they do act inside workers, tsx
 * is not registered a second time next to the bootstrap's register(). But an explicit execArgv is
 * validated and throws ERR_WORKER_INVALID_EXEC_ARGV on V8 or per-process flags such as
 * --max-old-space-size, while inherited flags are not checked; so without tsx flags the parent's flags
 * are inherited, and if the filtered list is refused the pool falls back to inheriting (on Node 20 the
 * inherited tsx flags are inert in a worker). Decided on the first spawn, then kept.
 */
let threadExecArgv: string[] | undefined | null = null;
function startWorker(workerData: ThreadData): Worker {
  if (threadExecArgv === null) {
    const filtered = withoutTsxFlags(process.execArgv);
    threadExecArgv = filtered.length === process.execArgv.length ? undefined : filtered;
  }
  if (threadExecArgv === undefined) return new Worker(threadMainUrl(), { workerData });
  try {
    return new Worker(threadMainUrl(), { workerData, execArgv: threadExecArgv });
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw error;
    threadExecArgv = undefined;
    return new Worker(threadMainUrl(), { workerData });
  }
}

function codedError(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

function reviveError(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  error.stack = serialized.stack ?? `${serialized.name}: ${serialized.message}`;
  if (serialized.code !== undefined) Object.assign(error, { code: serialized.code });
  return error;
}

export class ThreadPool {
  private readonly maxThreads: number;
  private readonly idleTimeoutMs: number;
  private readonly logger: Logger;
  private readonly threads = new Set<Slot>();
  // Most recently idled last, so the pool reuses warm threads and lets surplus ones time out.
  private readonly idle: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: ThreadPoolOptions) {
    if (!Number.isInteger(options.maxThreads) || options.maxThreads < 1) {
      throw new InvalidOptionError("maxThreads", options.maxThreads, "use a whole number of at least 1");
    }
    const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    if (Number.isNaN(idleTimeoutMs) || idleTimeoutMs < 0) {
      throw new InvalidOptionError("idleTimeoutMs", idleTimeoutMs, "use a number of milliseconds >= 0");
    }
    this.maxThreads = options.maxThreads;
    this.idleTimeoutMs = idleTimeoutMs;
    this.logger = options.logger;
  }

  get size(): number {
    return this.threads.size;
  }

  get busy(): number {
    let count = 0;
    for (const slot of this.threads) if (slot.pending !== undefined) count++;
    return count;
  }

  get queued(): number {
    return this.queue.length;
  }

  run(job: ThreadJob): Promise<unknown> {
    if (this.closed) return Promise.reject(codedError("thread_pool_closed", "thread pool closed"));
    if (job.signal.aborted) return Promise.reject(job.signal.reason as Error);
    if (!isAbsolute(job.modulePath) && !job.modulePath.startsWith("file:")) {
      return Promise.reject(
        new TypeError(
          `Thread handler modulePath must be an absolute path or a file: URL, got ${job.modulePath}`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        id: this.nextId++,
        job,
        resolve,
        reject,
        onAbort: () => {
          this.abort(pending);
        },
      };
      job.signal.addEventListener("abort", pending.onAbort, { once: true });
      this.queue.push(pending);
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const error = codedError("thread_pool_closed", "thread pool closed");
    for (const pending of this.queue.splice(0)) this.settle(pending, { ok: false, error });
    const exits: Promise<void>[] = [];
    for (const slot of this.threads) {
      if (slot.pending !== undefined) this.settle(slot.pending, { ok: false, error });
      slot.pending = undefined;
      exits.push(this.stop(slot));
    }
    await Promise.all(exits);
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      let slot = this.idle.pop();
      if (slot === undefined) {
        if (this.threads.size >= this.maxThreads) return;
        try {
          slot = this.spawn();
        } catch (error) {
          // The job that asked for the thread gets the reason; the others may still be served.
          const pending = this.queue.shift();
          if (pending !== undefined) this.settle(pending, { ok: false, error });
          continue;
        }
      }
      const pending = this.queue.shift();
      if (pending !== undefined) this.start(slot, pending);
    }
  }

  private spawn(): Slot {
    const worker = startWorker({ typescriptLoader: SELF_IS_TYPESCRIPT });
    this.logger.debug({ threadId: worker.threadId }, "worker thread started");
    let markExited = (): void => undefined;
    const slot: Slot = { worker, exited: new Promise((resolve) => (markExited = resolve)), exiting: false };
    this.threads.add(slot);
    worker.on("message", (message: ThreadReply) => {
      this.onReply(slot, message);
    });
    worker.on("messageerror", (error: Error) => {
      this.finish(slot, { ok: false, error });
    });
    worker.on("error", (error: Error) => {
      slot.crash = error;
    });
    worker.on("exit", (code: number) => {
      this.threads.delete(slot);
      const at = this.idle.indexOf(slot);
      if (at !== -1) this.idle.splice(at, 1);
      clearTimeout(slot.idleTimer);
      const pending = slot.pending;
      slot.pending = undefined;
      const crash =
        slot.crash === undefined ? "" : ` after an uncaught ${slot.crash.name}: ${slot.crash.message}`;
      if (pending !== undefined) {
        const what = `${pending.job.functionName} (job ${pending.job.jobId})`;
        const error = codedError(
          "thread_exited",
          `Thread running ${what} exited with code ${code}${crash}`,
          slot.crash,
        );
        this.settle(pending, { ok: false, error });
      } else if (!slot.exiting) {
        this.logger.warn({ code, err: slot.crash }, `idle worker thread exited with code ${code}${crash}`);
      }
      markExited();
      this.pump();
    });
    return slot;
  }

  private start(slot: Slot, pending: Pending): void {
    clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    const { job } = pending;
    const request: RunRequest = {
      type: "run",
      id: pending.id,
      modulePath: job.modulePath,
      exportName: job.exportName,
      input: job.input,
      jobId: job.jobId,
      attempt: job.attempt,
      functionName: job.functionName,
    };
    try {
      slot.worker.postMessage(request);
    } catch (error) {
      // Nothing reached the thread (the input could not be cloned), so the thread stays good.
      this.settle(pending, { ok: false, error });
      this.makeIdle(slot);
      return;
    }
    slot.worker.ref();
    slot.pending = pending;
    pending.slot = slot;
  }

  private onReply(slot: Slot, reply: ThreadReply): void {
    const pending = slot.pending;
    // Stray context calls a handler makes after it returned belong to no job any more.
    if (pending?.id !== reply.id) return;
    if (reply.type === "context") {
      try {
        pending.job.onMessage(reply.message);
      } catch (error) {
        this.logger.warn({ err: error, jobId: pending.job.jobId }, "thread job onMessage callback threw");
      }
    } else if (reply.type === "done") {
      this.finish(slot, { ok: true, value: reply.value });
    } else {
      this.finish(slot, { ok: false, error: reviveError(reply.error) });
    }
  }

  private finish(slot: Slot, outcome: Outcome): void {
    const pending = slot.pending;
    if (pending === undefined) return;
    slot.pending = undefined;
    this.settle(pending, outcome);
    this.makeIdle(slot);
    this.pump();
  }

  private makeIdle(slot: Slot): void {
    if (this.closed || slot.exiting) return;
    // An idle pool must not keep the process alive.
    slot.worker.unref();
    this.idle.push(slot);
    // Longer delays overflow setTimeout (it would fire at once), and are as good as "never" anyway.
    if (this.idleTimeoutMs <= 2_147_483_647) {
      slot.idleTimer = setTimeout(() => {
        const at = this.idle.indexOf(slot);
        if (at === -1) return;
        this.idle.splice(at, 1);
        void this.stop(slot);
      }, this.idleTimeoutMs);
      slot.idleTimer.unref();
    }
  }

  private abort(pending: Pending): void {
    const reason = pending.job.signal.reason as unknown;
    const slot = pending.slot;
    if (slot === undefined) {
      const at = this.queue.indexOf(pending);
      if (at !== -1) this.queue.splice(at, 1);
      this.settle(pending, { ok: false, error: reason });
      return;
    }
    if (slot.pending !== pending) return;
    slot.pending = undefined;
    this.settle(pending, { ok: false, error: reason });
    // The slot stays counted until the thread has really exited, so maxThreads bounds live threads.
    void this.stop(slot);
  }

  private stop(slot: Slot): Promise<void> {
    if (!slot.exiting) {
      slot.exiting = true;
      clearTimeout(slot.idleTimer);
      slot.worker.terminate().catch((error: unknown) => {
        this.logger.warn({ err: error }, "terminating a worker thread failed");
      });
    }
    return slot.exited;
  }

  private settle(pending: Pending, outcome: Outcome): void {
    pending.job.signal.removeEventListener("abort", pending.onAbort);
    pending.slot = undefined;
    if (outcome.ok) pending.resolve(outcome.value);
    else pending.reject(outcome.error);
  }
}
