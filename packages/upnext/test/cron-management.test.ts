/**
 * Cron schedules managed at runtime against running workers, in real time (an every-second
 * schedule): added, updated, paused, resumed and removed through the SDK on another connection
 * and picked up without a restart; and code-defined schedules upserted on start, keeping their
 * pause and cursor across restarts.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Schedules, type JobOrigin, type Worker } from "../src/index.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { testConfig, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("cron-management");
const redis = redisClient();
const workers: Worker[] = [];
const admin = new Schedules({ namespace, config: testConfig() });

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await admin.close();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Run {
  readonly jobId: string;
  readonly input: unknown;
  readonly origin: Extract<JobOrigin, { kind: "cron" }>;
}

describe("runtime management, picked up by a running worker", () => {
  it("adds, updates, pauses, resumes and removes a schedule without restarting the worker", async () => {
    const runs: Run[] = [];
    const worker = testWorker(namespace, { name: "beats" });
    workers.push(worker);
    const beat = worker.task("beat", {}, (input: unknown, ctx) => {
      if (ctx.origin?.kind === "cron") runs.push({ jobId: ctx.jobId, input, origin: ctx.origin });
      return null;
    });
    await worker.start();

    // Added from another connection while the worker runs.
    const added = await admin.upsert({
      name: "every-second",
      task: "beat",
      cron: "*/1 * * * * *",
      input: { v: 1 },
    });
    expect(added).toMatchObject({ name: "every-second", task: "beat", paused: false, source: "api" });
    const first = await eventually(
      () => runs.find((run) => run.origin.schedule === "every-second"),
      "a run of the new schedule",
    );
    expect(first.input).toEqual({ v: 1 });
    expect(first.origin.catchUp).toBe(false);
    const firstStatus = await beat.ref(first.jobId).status();
    expect(firstStatus.origin).toEqual(first.origin);

    // Updated: the next runs get the new input.
    await admin.upsert({ name: "every-second", task: "beat", cron: "*/1 * * * * *", input: { v: 2 } });
    await eventually(
      () => runs.some((run) => (run.input as { v: number }).v === 2),
      "a run with the updated input",
    );

    // Paused: no run is created for a slot after the pause.
    const paused = await admin.pause("every-second");
    const pausedAt = paused.pausedAt ?? 0;
    expect(paused.paused).toBe(true);
    await sleep(2_500);
    const whilePaused = await admin.get("every-second");
    expect(whilePaused?.lastScheduledSlot ?? 0).toBeLessThanOrEqual(pausedAt);
    expect(runs.filter((run) => run.origin.scheduledFor > pausedAt)).toEqual([]);
    expect((await admin.list()).map((info) => [info.name, info.paused])).toEqual([["every-second", true]]);

    // Resumed: runs again (the seconds missed while paused are skipped: missedRuns "skip").
    const resumed = await admin.resume("every-second");
    expect(resumed.paused).toBe(false);
    const afterResume = await eventually(
      () => runs.find((run) => run.origin.scheduledFor > resumed.updatedAt),
      "a run after resuming",
    );
    expect(afterResume.origin.catchUp).toBe(false);
    expect((await admin.get("every-second"))?.skippedSlots).toBeGreaterThan(0);

    // Removed: nothing fires any more; the jobs it created are kept.
    expect(await admin.remove("every-second")).toBe(true);
    const removedAt = Date.now();
    await sleep(2_500);
    expect(runs.filter((run) => run.origin.scheduledFor > removedAt)).toEqual([]);
    expect(await admin.get("every-second")).toBeUndefined();
    expect(await admin.list()).toEqual([]);
    expect(await admin.remove("every-second")).toBe(false);
    expect((await beat.ref(first.jobId).status()).status).toBe("complete");
  });

  it("pausing, resuming or triggering an unknown schedule says which schedules exist", async () => {
    await admin.upsert({ name: "known-one", task: "nobody-runs-this", cron: "0 0 1 1 *" });
    await expect(admin.pause("unknown-one")).rejects.toMatchObject({
      code: "schedule_not_found",
      message: expect.stringContaining("known-one") as unknown,
    });
    await expect(admin.resume("unknown-one")).rejects.toMatchObject({ code: "schedule_not_found" });
    await expect(admin.trigger("unknown-one")).rejects.toMatchObject({ code: "schedule_not_found" });
    // A trigger works without any worker of the task: one run now, the cursor untouched.
    const before = await admin.get("known-one");
    const ref = await admin.trigger("known-one");
    const job = await ref.status();
    expect(job.status).toBe("queued");
    expect(job.origin).toMatchObject({ kind: "cron", schedule: "known-one", catchUp: false });
    expect((await admin.get("known-one"))?.cursor).toBe(before?.cursor);
    await admin.remove("known-one");
  });
});

describe("schedules defined in code", () => {
  function codeWorker(cron: string, options: { missedRuns?: "skip" | "latest" } = {}): Worker {
    const worker = testWorker(namespace, { name: "code" });
    worker.cron("code-report", cron, options, () => "done");
    return worker;
  }

  it("are upserted on start and keep their pause and cursor across restarts", async () => {
    const first = codeWorker("0 0 1 1 *");
    await first.start();
    const created = await first.schedules.get("code-report");
    expect(created).toMatchObject({ task: "code-report", source: "code", paused: false, missedRuns: "skip" });
    await first.schedules.pause("code-report");
    await first.stop();

    // A deploy that changes a policy: the definition is updated, the pause and cursor are kept.
    const second = codeWorker("0 0 1 1 *", { missedRuns: "latest" });
    await second.start();
    const kept = await second.schedules.get("code-report");
    expect(kept).toMatchObject({ paused: true, missedRuns: "latest", cursor: created?.cursor });
    await second.stop();

    // A new expression applies from now on: the cursor moves to the time of the change.
    const beforeThird = Date.now();
    const third = codeWorker("0 0 2 1 *");
    await third.start();
    const changed = await third.schedules.get("code-report");
    expect(changed).toMatchObject({ paused: true, cron: "0 0 2 1 *" });
    expect(changed?.cursor).toBeGreaterThanOrEqual(beforeThird);
    await third.schedules.resume("code-report");
    await third.stop();
    expect((await admin.get("code-report"))?.paused).toBe(false);
    await admin.remove("code-report");
  });
});
