/**
 * `task.execute`: one attempt in-process, no queue. The worker points at a Redis port nothing
 * listens on, so any test that touched Redis would fail to connect rather than pass.
 */
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidInputError, InvalidOptionError, type Context, type TaskOutcome } from "../src/index.js";
import { testConfig, testWorker } from "./helpers/worker.js";

const worker = testWorker("t-inline-unused", { redis: "redis://127.0.0.1:1" }, testConfig());

const events: string[] = [];
const outcomes: TaskOutcome<unknown>[] = [];
const hooks = {
  onStart: () => {
    events.push("start");
  },
  onSuccess: (_ctx: Context, result: unknown) => {
    events.push(`success:${JSON.stringify(result)}`);
  },
  onRetry: (_ctx: Context, error: unknown) => {
    events.push(`retry:${(error as Error).message}`);
  },
  onFailure: (_ctx: Context, error: unknown) => {
    events.push(`failure:${(error as Error).message}`);
  },
  onComplete: (_ctx: Context, outcome: TaskOutcome<unknown>) => {
    outcomes.push(outcome);
  },
};

const report = worker.task(
  "report",
  { input: z.object({ rows: z.number().int().min(1), since: z.string() }), ...hooks },
  async (input, ctx) => {
    ctx.progress(0.5, "half");
    ctx.progress(0.25); // rejected: backwards
    ctx.progress({ current: 4, total: 4 });
    ctx.log("info", "scanned", { rows: input.rows });
    ctx.recordMetric("rows", input.rows, { table: "events" });
    await ctx.checkpoint({ done: input.rows, at: new Date(0) });
    await ctx.artifacts.put("summary.txt", `rows=${String(input.rows)}`);
    ctx.tags.region = "eu";
    return { rows: input.rows, since: input.since, when: new Date(0) };
  },
);

const flaky = worker.task("flaky", { retries: 2, backoff: { type: "fixed", delay: "1s" }, ...hooks }, () => {
  throw new Error("boom");
});

const slow = worker.task("slow", { timeout: "5s" }, async (_input: null, ctx) => {
  await new Promise<void>((resolve) => {
    ctx.signal.addEventListener("abort", () => {
      resolve();
    });
  });
  return ctx.signal.reason instanceof Error ? ctx.signal.reason.name : "none";
});

const resumable = worker.task(
  "resumable",
  { checkpointVersion: 2, migrateCheckpoint: (state) => ({ done: (state as { n: number }).n }) },
  async (_input: null, ctx) => {
    const saved = await ctx.lastCheckpoint<{ done: number }>();
    const parents = await ctx.parents();
    return {
      resumedFrom: saved?.done ?? 0,
      parents: parents.map((parent) => parent.status),
      origin: ctx.origin,
    };
  },
);

const threaded = worker.task("threaded", {
  isolate: "thread",
  module: new URL("./fixtures/threads/handlers.ts", import.meta.url),
  export: "report",
});

afterAll(async () => {
  await worker.stop();
});

describe("task.execute", () => {
  it("runs the handler with a real context and returns what it reported", async () => {
    events.length = 0;
    outcomes.length = 0;
    const run = await report.execute({ rows: 3, since: "2026-01-01" }, { tags: { tenant: "a" } });
    expect(run.status).toBe("complete");
    if (run.status !== "complete") return;
    // The JSON round trip a stored result goes through: the Date is a string.
    expect(run.result).toEqual({ rows: 3, since: "2026-01-01", when: "1970-01-01T00:00:00.000Z" });
    expect(run.progress).toEqual([
      { value: 0.5, message: "half" },
      { value: 1, current: 4, total: 4 },
    ]);
    expect(run.logs).toEqual([{ level: "info", message: "scanned", fields: { rows: 3 } }]);
    expect(run.metrics).toEqual([{ name: "rows", value: 3, labels: { table: "events" } }]);
    expect(run.checkpoints).toEqual([{ state: { done: 3, at: "1970-01-01T00:00:00.000Z" }, version: 1 }]);
    expect(run.artifacts).toHaveLength(1);
    expect(run.artifacts[0]?.name).toBe("summary.txt");
    expect(run.artifacts[0]?.contentType).toBe("text/plain; charset=utf-8");
    expect(run.artifacts[0]?.data.toString()).toBe("rows=3");
    expect(run.tags).toEqual({ tenant: "a", region: "eu" });
    expect(run.attempt).toBe(1);
    expect(events).toEqual(["start", `success:${JSON.stringify(run.result)}`]);
    expect(outcomes).toEqual([{ status: "complete", result: run.result }]);
  });

  it("rejects input the schema refuses before running anything", async () => {
    events.length = 0;
    await expect(report.execute({ rows: 0, since: "x" })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(report.execute({ rows: 0, since: "x" })).rejects.toThrow(/rows/);
    expect(events).toEqual([]);
  });

  it("rejects unknown options and an attempt outside the task's budget", async () => {
    await expect(flaky.execute(null, { retries: 3 } as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(flaky.execute(null, { attempt: 4 })).rejects.toThrow(/attempt budget \(3\)/);
    await expect(flaky.execute(null, { timeout: "soon" })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it("says a failure with attempts left would be retried, and the last attempt fails", async () => {
    events.length = 0;
    outcomes.length = 0;
    const first = await flaky.execute(null);
    expect(first.status).toBe("retrying");
    if (first.status !== "retrying") return;
    expect(first.error.message).toBe("boom");
    expect(first.reason).toBe("exception");
    expect(first.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
    expect(events).toEqual(["start", "retry:boom"]);
    expect(outcomes).toEqual([]);

    const last = await flaky.execute(null, { attempt: 3 });
    expect(last.status).toBe("failed");
    expect(last.attempt).toBe(3);
    expect(events).toEqual(["start", "retry:boom", "start", "failure:boom"]);
    expect(outcomes).toMatchObject([{ status: "failed", reason: "exception" }]);
  });

  it("honours the timeout: ctx.signal aborts and the attempt fails as a timeout", async () => {
    const run = await slow.execute(null, { timeout: "50ms" });
    expect(run.status).toBe("failed");
    if (run.status !== "failed") return;
    expect(run.reason).toBe("timeout");
    expect(run.error.name).toBe("TimeoutError");
  });

  it("is cancelled by its signal, before or during the run", async () => {
    const controller = new AbortController();
    const running = slow.execute(null, { signal: controller.signal });
    setTimeout(() => {
      controller.abort();
    }, 20);
    expect((await running).status).toBe("cancelled");
    expect((await slow.execute(null, { signal: AbortSignal.abort() })).status).toBe("cancelled");
  });

  it("starts from a given checkpoint (migrated), parents and origin", async () => {
    const run = await resumable.execute(null, {
      checkpoint: { state: { n: 7 }, version: 1 },
      parents: [{ id: "p1", function: "extract", status: "complete", result: 1 }],
      origin: { kind: "replay", replayOf: "j1" },
    });
    expect(run).toMatchObject({
      status: "complete",
      result: { resumedFrom: 7, parents: ["complete"], origin: { kind: "replay", replayOf: "j1" } },
    });
  });

  it("runs a thread task in a thread and relays what it reports", async () => {
    const run = await threaded.execute(null);
    expect(run.status).toBe("complete");
    if (run.status !== "complete") return;
    expect(run.result).toBe(`threaded/${run.jobId}/1/false`);
    expect(run.progress.map((entry) => entry.value)).toEqual([0.25, 0.5, 1]);
    expect(run.logs).toEqual([
      { level: "warn", message: "slow table", fields: { table: "events", rows: 3 } },
    ]);
    expect(run.metrics).toEqual([{ name: "rows_scanned", value: 3, labels: { table: "events" } }]);
  });
});
