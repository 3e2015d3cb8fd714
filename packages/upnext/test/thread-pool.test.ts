import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { pino } from "pino";
import { afterEach, beforeAll, afterAll, describe, expect, test, vi } from "vitest";
import { ThreadPool } from "../src/runtime/threads/thread-pool.js";
import type { ThreadContextMessage, ThreadJob } from "../src/runtime/threads/thread-protocol.js";
import { checksum } from "./fixtures/threads/handlers.js";

const HANDLERS = fileURLToPath(new URL("./fixtures/threads/handlers.ts", import.meta.url));
const logger = pino({ level: "silent" });

let pools: ThreadPool[] = [];
function pool(maxThreads: number, idleTimeoutMs?: number): ThreadPool {
  const created = new ThreadPool(
    idleTimeoutMs === undefined ? { maxThreads, logger } : { maxThreads, logger, idleTimeoutMs },
  );
  pools.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});

let tmp = "";
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "upnext-thread-pool-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function job(exportName: string, input: unknown = null, overrides: Partial<ThreadJob> = {}): ThreadJob {
  return {
    modulePath: HANDLERS,
    exportName,
    input,
    jobId: `job-${exportName}`,
    attempt: 1,
    functionName: exportName,
    signal: new AbortController().signal,
    onMessage: () => undefined,
    ...overrides,
  };
}

/** A job whose promise `started` resolves when the handler's "started"/"spinning" log reaches us. */
function observed(
  exportName: string,
  input: unknown = null,
  overrides: Partial<ThreadJob> = {},
): { job: ThreadJob; started: Promise<ThreadContextMessage>; messages: ThreadContextMessage[] } {
  const messages: ThreadContextMessage[] = [];
  let markStarted: (message: ThreadContextMessage) => void = () => undefined;
  const started = new Promise<ThreadContextMessage>((resolve) => (markStarted = resolve));
  const onMessage = (message: ThreadContextMessage): void => {
    messages.push(message);
    if (message.kind === "log" && (message.message === "started" || message.message === "spinning")) {
      markStarted(message);
    }
  };
  return { job: job(exportName, input, { ...overrides, onMessage }), started, messages };
}

function releaseFlag(): { flag: Int32Array; release: () => void } {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  return {
    flag,
    release: () => {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    },
  };
}

describe("ThreadPool", () => {
  test("runs a CPU-bound handler that never yields and returns its value", async () => {
    const threads = pool(2);
    await expect(threads.run(job("default", { iterations: 200_000 }))).resolves.toBe(checksum(200_000));
    expect(threads.size).toBe(1);
    expect(threads.busy).toBe(0);
  });

  test("reuses a thread between jobs and loads each module once per thread", async () => {
    const threads = pool(1);
    const first = (await threads.run(job("threadInfo"))) as { threadId: number; calls: number };
    const second = (await threads.run(job("threadInfo"))) as { threadId: number; calls: number };
    expect(second.threadId).toBe(first.threadId);
    expect(second.calls).toBe(first.calls + 1);
  });

  test("runs up to maxThreads jobs in parallel and queues the rest in FIFO order", async () => {
    const threads = pool(2);
    const { flag, release } = releaseFlag();
    const jobs = ["a", "b", "c"].map((label) => observed("blockUntilReleased", { flag, label }));
    const results = jobs.map((j) => threads.run(j.job));

    await Promise.all([jobs[0]?.started, jobs[1]?.started]);
    expect(threads.size).toBe(2);
    expect(threads.busy).toBe(2);
    expect(threads.queued).toBe(1);
    expect(jobs[2]?.messages).toEqual([]);

    release();
    await expect(Promise.all(results)).resolves.toEqual(["a", "b", "c"]);
    expect(jobs[2]?.messages).toHaveLength(1);
    expect(threads.busy).toBe(0);
    expect(threads.queued).toBe(0);
    expect(threads.size).toBe(2);
  });

  test("abort terminates a thread stuck in an infinite loop, and a new thread replaces it", async () => {
    const threads = pool(1);
    const before = (await threads.run(job("threadInfo"))) as { threadId: number };

    const controller = new AbortController();
    const spinning = observed("spin", null, { signal: controller.signal });
    const result = threads.run(spinning.job);
    const started = await spinning.started;
    expect(started).toMatchObject({ fields: { threadId: before.threadId } });
    expect(threads.busy).toBe(1);

    const reason = new Error("cancelled by test");
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(threads.busy).toBe(0);
    await vi.waitFor(() => {
      expect(threads.size).toBe(0);
    });

    const after = (await threads.run(job("threadInfo"))) as { threadId: number; calls: number };
    expect(after.threadId).not.toBe(before.threadId);
    expect(after.calls).toBe(1);
    expect(threads.size).toBe(1);
  });

  test("an aborted queued job never starts", async () => {
    const threads = pool(1);
    const { flag, release } = releaseFlag();
    const blocker = observed("blockUntilReleased", { flag, label: "blocker" });
    const blocked = threads.run(blocker.job);
    await blocker.started;

    const markerPath = join(tmp, "queued-marker");
    const controller = new AbortController();
    const queued = observed("markStarted", { markerPath }, { signal: controller.signal });
    const result = threads.run(queued.job);
    expect(threads.queued).toBe(1);
    controller.abort(new Error("not wanted any more"));
    await expect(result).rejects.toThrow("not wanted any more");
    expect(threads.queued).toBe(0);

    release();
    await expect(blocked).resolves.toBe("blocker");
    // The one thread has run whatever came after the blocker by the time a later job finishes.
    const laterMarker = join(tmp, "later-marker");
    await expect(threads.run(job("markStarted", { markerPath: laterMarker }))).resolves.toBe("ran");
    expect(existsSync(laterMarker)).toBe(true);
    expect(existsSync(markerPath)).toBe(false);
    expect(queued.messages).toEqual([]);
  });

  test("a job whose signal is already aborted never starts", async () => {
    const threads = pool(1);
    const markerPath = join(tmp, "pre-aborted-marker");
    const reason = new Error("aborted before run");
    const result = threads.run(job("markStarted", { markerPath }, { signal: AbortSignal.abort(reason) }));
    await expect(result).rejects.toBe(reason);
    expect(threads.size).toBe(0);
    expect(existsSync(markerPath)).toBe(false);
  });

  test("a handler's error keeps its name, message, code and stack", async () => {
    const threads = pool(1);
    const error = (await threads.run(job("fail")).catch((e: unknown) => e)) as Error & { code?: string };
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("QuotaError");
    expect(error.message).toBe("quota of 3 exceeded");
    expect(error.code).toBe("quota_exceeded");
    expect(error.stack).toContain("handlers.ts");
    // The thread survives a handler error.
    await expect(threads.run(job("default", { iterations: 10 }))).resolves.toBe(checksum(10));
    expect(threads.size).toBe(1);
  });

  test("progress, log and metric calls reach onMessage in order, before the result", async () => {
    const threads = pool(1);
    const messages: ThreadContextMessage[] = [];
    const result = await threads.run(
      job("report", null, { jobId: "j-42", attempt: 3, onMessage: (m) => messages.push(m) }),
    );
    expect(result).toBe("report/j-42/3/false");
    expect(messages).toEqual([
      { kind: "progress", value: 0.25 },
      { kind: "progress", value: 0.5, message: "half way" },
      { kind: "log", level: "warn", message: "slow table", fields: { table: "events", rows: 3 } },
      { kind: "metric", name: "rows_scanned", value: 3, labels: { table: "events" } },
      { kind: "progress", value: { current: 2, total: 2 }, message: "done" },
    ]);
  });

  test("a missing module or export is a clear error naming the path and the export", async () => {
    const threads = pool(1);
    const missingPath = join(tmp, "does-not-exist.ts");
    await expect(threads.run(job("default", null, { modulePath: missingPath }))).rejects.toThrow(
      `Cannot load thread handler module ${missingPath}`,
    );
    await expect(threads.run(job("nope"))).rejects.toThrow(
      `Thread handler module ${HANDLERS} has no such export for export "nope"`,
    );
    await expect(threads.run(job("notAFunction"))).rejects.toThrow(
      `exports a number, not a function for export "notAFunction"`,
    );
    await expect(threads.run(job("default", null, { modulePath: "relative/handler.ts" }))).rejects.toThrow(
      "must be an absolute path or a file: URL",
    );
  });

  test("a thread that calls process.exit(3) rejects with the exit code, and the pool goes on", async () => {
    const threads = pool(1);
    await expect(threads.run(job("exitThree"))).rejects.toThrow("exited with code 3");
    await expect(threads.run(job("default", { iterations: 10 }))).resolves.toBe(checksum(10));
  });

  test("an uncaught error thrown later in the thread kills it and rejects the job", async () => {
    const threads = pool(1);
    await expect(threads.run(job("crashLater"))).rejects.toThrow(
      "exited with code 1 after an uncaught Error: late boom",
    );
    await expect(threads.run(job("default", { iterations: 10 }))).resolves.toBe(checksum(10));
  });

  test("values that cannot be structured-cloned are rejected without harming the thread", async () => {
    const threads = pool(1);
    await expect(threads.run(job("default", { iterations: 10, callback: () => 1 }))).rejects.toThrow(
      /could not be cloned/,
    );
    await expect(threads.run(job("returnsFunction"))).rejects.toMatchObject({
      code: "result_not_clonable",
    });
    await expect(threads.run(job("default", { iterations: 10 }))).resolves.toBe(checksum(10));
    expect(threads.size).toBe(1);
  });

  test("runs plain .mjs modules given as file: URLs", async () => {
    const threads = pool(1);
    const modulePath = join(tmp, "plain.mjs");
    await writeFile(modulePath, "export const double = (n, ctx) => { ctx.progress(1); return n * 2; };\n");
    const messages: ThreadContextMessage[] = [];
    const result = threads.run(
      job("double", 21, { modulePath: pathToFileURL(modulePath).href, onMessage: (m) => messages.push(m) }),
    );
    await expect(result).resolves.toBe(42);
    expect(messages).toEqual([{ kind: "progress", value: 1 }]);
  });

  test("idle threads exit after idleTimeoutMs", async () => {
    const threads = pool(1, 0);
    await threads.run(job("default", { iterations: 10 }));
    await vi.waitFor(() => {
      expect(threads.size).toBe(0);
    });
    await expect(threads.run(job("default", { iterations: 10 }))).resolves.toBe(checksum(10));
  });

  test("close() rejects running and queued jobs and terminates every thread", async () => {
    const threads = pool(1);
    const { flag } = releaseFlag();
    const running = observed("blockUntilReleased", { flag, label: "never released" });
    const runningResult = threads.run(running.job);
    const queuedResult = threads.run(job("default", { iterations: 10 }));
    await running.started;

    const closing = threads.close();
    await expect(runningResult).rejects.toThrow("thread pool closed");
    await expect(queuedResult).rejects.toThrow("thread pool closed");
    await closing;
    expect(threads.size).toBe(0);
    expect(threads.queued).toBe(0);
    await expect(threads.run(job("default", { iterations: 10 }))).rejects.toThrow("thread pool closed");
  });

  test("rejects an invalid maxThreads", () => {
    expect(() => new ThreadPool({ maxThreads: 0, logger })).toThrow(/maxThreads/);
  });

  describe("outside vitest", () => {
    const script = fileURLToPath(new URL("./fixtures/threads/run-under-tsx.ts", import.meta.url));
    const run = async (args: string[]): Promise<unknown> => {
      const { stdout } = await promisify(execFile)(process.execPath, [...args, script]);
      return JSON.parse(stdout);
    };

    test("works when the main process runs under the tsx CLI", async () => {
      await expect(run([fileURLToPath(import.meta.resolve("tsx/cli"))])).resolves.toEqual({
        value: checksum(1000),
      });
    });

    test("works when the parent has flags a worker refuses in an explicit execArgv", async () => {
      const args = ["--max-old-space-size=512", "--import", import.meta.resolve("tsx")];
      await expect(run(args)).resolves.toEqual({ value: checksum(1000) });
    });
  });
});
