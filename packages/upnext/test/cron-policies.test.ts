/**
 * Cron scheduling with a simulated clock: missed-run policies after downtime and after a pause,
 * exactly one job per slot with schedulers racing, overlap policies, and a lost run that must not
 * stop its schedule. Schedulers are driven by tick() at chosen instants (in 2031, so the real-clock
 * scheduler of a started worker never finds these slots due); nothing waits for wall-clock time.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { CronScheduler } from "../src/runtime/cron/cron-scheduler.js";
import type { ScheduleOptions, Worker } from "../src/index.js";
import {
  HOUR,
  SECOND,
  T0,
  at,
  cronJobs,
  simulatedScheduler,
  simulatedSchedules,
  tick,
  type SimClock,
} from "./helpers/cron.js";
import { deferred, jobEvents, testWorker } from "./helpers/worker.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";

const namespace = testNamespace("cron-policies");
const redis = redisClient();
const workers: Worker[] = [];
const schedulers: CronScheduler[] = [];

/** A worker that is never started: it lends its connection and task definitions to schedulers. */
function producer(tasks: readonly string[], name = "producer"): Worker {
  const worker = testWorker(namespace, { name });
  for (const task of tasks) worker.task(task, {}, () => null);
  workers.push(worker);
  return worker;
}

async function started(
  worker: Worker,
  clock: SimClock,
  ...schedules: ScheduleOptions[]
): Promise<CronScheduler> {
  const { scheduler, start } = simulatedScheduler(worker, clock, schedules);
  schedulers.push(scheduler);
  await start();
  return scheduler;
}

afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((scheduler) => scheduler.stop()));
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("missed runs after downtime (created at 00:00:30, next pass at 03:00:30)", () => {
  it("skip: no catch-up run; the next slot runs normally", async () => {
    const worker = producer(["hourly-skip"]);
    const clock = { now: T0 };
    const scheduler = await started(worker, clock, { name: "hourly-skip", cron: "0 * * * *" });

    clock.now = T0 + 3 * HOUR;
    const pass = await tick(scheduler);
    expect(pass.created).toEqual([]);
    expect(pass.skipped).toBe(3);
    expect(await cronJobs(redis, namespace, "hourly-skip")).toEqual([]);

    clock.now = at(4, 0, 1);
    await tick(scheduler);
    const jobs = await cronJobs(redis, namespace, "hourly-skip");
    expect(jobs.map((job) => [job.scheduledFor, job.catchUp])).toEqual([[at(4), false]]);
    const info = await worker.schedules.get("hourly-skip");
    expect(info?.skippedSlots).toBe(3);
    expect(info?.lastScheduledSlot).toBe(at(4));
  });

  it("latest: exactly one run, for the most recent missed slot, marked as a catch-up", async () => {
    const worker = producer(["hourly-latest"]);
    const clock = { now: T0 };
    const scheduler = await started(worker, clock, {
      name: "hourly-latest",
      cron: "0 * * * *",
      missedRuns: "latest",
      input: { report: "daily" },
    });

    clock.now = T0 + 3 * HOUR;
    await tick(scheduler);
    await tick(scheduler);
    let jobs = await cronJobs(redis, namespace, "hourly-latest");
    expect(jobs.map((job) => [job.scheduledFor, job.catchUp])).toEqual([[at(3), true]]);
    expect(jobs[0]?.input).toEqual({ report: "daily" });
    expect(jobs[0]?.status).toBe("queued");

    clock.now = at(4, 0, 1);
    await tick(scheduler);
    jobs = await cronJobs(redis, namespace, "hourly-latest");
    expect(jobs.map((job) => [job.scheduledFor, job.catchUp])).toEqual([
      [at(3), true],
      [at(4), false],
    ]);
    // What a handler sees as ctx.origin and job.status().origin.
    const status = await worker.tasks
      .get("hourly-latest")
      ?.ref(jobs[0]?.id ?? "")
      .status();
    expect(status?.origin).toEqual({
      kind: "cron",
      schedule: "hourly-latest",
      scheduledFor: at(3),
      catchUp: true,
    });
    expect((await worker.schedules.get("hourly-latest"))?.skippedSlots).toBe(2);
    // The creation event is the "queued" event of a submit, carrying the origin.
    await worker.connection.publisher.flush();
    const [created] = await jobEvents(redis, namespace, jobs[0]?.id ?? "");
    expect(created).toMatchObject({
      type: "queued",
      function: "hourly-latest",
      data: {
        from: "submit",
        input: { report: "daily" },
        origin: { kind: "cron", schedule: "hourly-latest", scheduledFor: at(3), catchUp: true },
      },
    });
  });

  it("all: every missed slot inside the catch-up window, oldest first, marked as catch-ups", async () => {
    const worker = producer(["hourly-all"]);
    const clock = { now: T0 };
    const scheduler = await started(worker, clock, {
      name: "hourly-all",
      cron: "0 * * * *",
      missedRuns: "all",
      catchUpWindow: "2h",
    });

    clock.now = T0 + 3 * HOUR;
    const pass = await tick(scheduler);
    // The window reaches back to 01:00:30: 01:00 is outside it.
    expect(pass.created.map((run) => [run.slot, run.catchUp])).toEqual([
      [at(2), true],
      [at(3), true],
    ]);
    expect(pass.skipped).toBe(1);
    const jobs = await cronJobs(redis, namespace, "hourly-all");
    expect(jobs.map((job) => [job.scheduledFor, job.catchUp])).toEqual([
      [at(2), true],
      [at(3), true],
    ]);
    // Oldest first: the 02:00 run was created (and queued) before the 03:00 run.
    expect(pass.created[0]?.jobId.localeCompare(pass.created[1]?.jobId ?? "")).toBeLessThan(0);

    clock.now = at(4, 0, 2);
    await tick(scheduler);
    const after = await cronJobs(redis, namespace, "hourly-all");
    expect(after.map((job) => [job.scheduledFor, job.catchUp]).at(-1)).toEqual([at(4), false]);
  });

  it("all: a long catch-up is created over several passes, each slot once", async () => {
    const worker = producer(["secondly-all"]);
    const clock = { now: T0 };
    const scheduler = await started(worker, clock, {
      name: "secondly-all",
      cron: "* * * * * *",
      missedRuns: "all",
      catchUpWindow: "10m",
    });
    clock.now = T0 + HOUR;
    let created = 0;
    for (let pass = 0; pass < 10; pass++) {
      const report = await tick(scheduler);
      created += report.created.length;
      if (report.nextDelayMs > 0) break;
    }
    const jobs = await cronJobs(redis, namespace, "secondly-all");
    expect(jobs).toHaveLength(created);
    // 10 minutes of slots (the window) up to now: 600 catch-ups... plus the on-time ones.
    expect(new Set(jobs.map((job) => job.scheduledFor)).size).toBe(jobs.length);
    expect(jobs[0]?.scheduledFor).toBe(clock.now - 10 * 60 * SECOND);
    expect(jobs.at(-1)?.scheduledFor).toBe(clock.now);
    expect(jobs.filter((job) => !job.catchUp).map((job) => job.scheduledFor)).toEqual(
      [5, 4, 3, 2, 1, 0].map((back) => clock.now - back * SECOND),
    );
  });
});

describe("missed runs during a pause follow the policy on resume", () => {
  it("latest: one catch-up for the pause, then normal runs", async () => {
    const worker = producer(["paused-latest"]);
    const clock = { now: T0 };
    const scheduler = await started(worker, clock, {
      name: "paused-latest",
      cron: "0 * * * *",
      missedRuns: "latest",
    });
    const schedules = simulatedSchedules(worker, clock);

    clock.now = at(1, 0, 1);
    await tick(scheduler);
    clock.now = at(1, 10);
    expect((await schedules.pause("paused-latest")).paused).toBe(true);
    for (const hour of [2, 3, 4]) {
      clock.now = at(hour, 0, 1);
      expect((await tick(scheduler)).created).toEqual([]);
    }
    clock.now = at(4, 30);
    await schedules.resume("paused-latest");
    const pass = await tick(scheduler);
    expect(pass.created.map((run) => [run.slot, run.catchUp])).toEqual([[at(4), true]]);
    clock.now = at(5, 0, 1);
    await tick(scheduler);
    const jobs = await cronJobs(redis, namespace, "paused-latest");
    expect(jobs.map((job) => [job.scheduledFor, job.catchUp])).toEqual([
      [at(1), false],
      [at(4), true],
      [at(5), false],
    ]);
  });
});

describe("exactly one job per slot", () => {
  it("three schedulers racing on one namespace create each slot once", async () => {
    const task = "raced";
    const clock = { now: T0 };
    const definition = {
      name: task,
      cron: "*/10 * * * * *",
      missedRuns: "all" as const,
      catchUpWindow: "1h",
    };
    const racers = await Promise.all(
      [0, 150, -150].map(async (skew, index) => {
        const { scheduler, start } = simulatedScheduler(
          producer([task], `racer-${index}`),
          clock,
          [definition],
          skew,
        );
        schedulers.push(scheduler);
        await start();
        return scheduler;
      }),
    );
    let created = 0;
    let conflicts = 0;
    const tickAll = async () => {
      const reports = await Promise.all(racers.map((scheduler) => tick(scheduler)));
      created += reports.reduce((sum, report) => sum + report.created.length, 0);
      conflicts += reports.reduce((sum, report) => sum + report.conflicts, 0);
    };
    for (let step = 1; step <= 40; step++) {
      clock.now = T0 + step * 3_700;
      await tickAll();
    }
    // Five minutes of downtime for all three: a catch-up, raced too.
    const downtimeEnd = clock.now + 5 * 60 * SECOND;
    clock.now = downtimeEnd;
    await tickAll();
    for (let step = 1; step <= 10; step++) {
      clock.now = downtimeEnd + step * 2_300;
      await tickAll();
    }
    const end = clock.now;
    clock.now = end + 20 * SECOND;
    await tickAll();

    const jobs = await cronJobs(redis, namespace, task);
    const slots = jobs.map((job) => job.scheduledFor);
    expect(new Set(slots).size).toBe(slots.length);
    expect(jobs).toHaveLength(created);
    // They did race: passes computed from the same cursor lost the compare-and-set.
    expect(conflicts).toBeGreaterThan(0);
    // Every slot after the creation (by whichever racer's clock upserted it first), none twice.
    const createdAt = (await simulatedSchedules(producer([]), clock).get(task))?.createdAt ?? T0;
    const firstSlot = Math.floor(createdAt / 10_000) * 10_000 + 10_000;
    const wanted: number[] = [];
    for (let slot = firstSlot; slot <= end + 20 * SECOND; slot += 10_000) wanted.push(slot);
    expect(slots).toEqual(wanted);
    // The slots inside the downtime were noticed late: catch-ups.
    const late = jobs.filter(
      (job) => job.scheduledFor < downtimeEnd - 5_150 && job.scheduledFor > T0 + 40 * 3_700,
    );
    expect(late.length).toBeGreaterThan(20);
    expect(late.every((job) => job.catchUp)).toBe(true);
  });
});

describe("overlap policies", () => {
  it("skip: no run while the last one is going; the next slot after it ends runs", async () => {
    const task = "overlap-skip";
    const gates = new Map<string, () => void>();
    const runs: string[] = [];
    const worker = testWorker(namespace, { name: "overlap-runner", concurrency: 4 });
    workers.push(worker);
    const handle = worker.task(task, {}, async (_input, ctx) => {
      runs.push(ctx.jobId);
      const gate = deferred();
      gates.set(ctx.jobId, gate.resolve);
      await gate.promise;
      return ctx.origin;
    });
    await worker.start();
    const clock = { now: T0 };
    const scheduler = await started(worker, clock, { name: task, cron: "0 * * * *", overlap: "skip" });

    clock.now = at(1, 0, 1);
    const first = await tick(scheduler);
    const firstId = first.created[0]?.jobId ?? "";
    expect(first.created).toHaveLength(1);
    await eventually(() => gates.has(firstId), "the first run to start");

    clock.now = at(2, 0, 1);
    const second = await tick(scheduler);
    expect(second.created).toEqual([]);
    expect(second.skipped).toBe(1);

    gates.get(firstId)?.();
    expect(await handle.ref(firstId).result()).toEqual({
      kind: "cron",
      schedule: task,
      scheduledFor: at(1),
      catchUp: false,
    });
    clock.now = at(3, 0, 1);
    const third = await tick(scheduler);
    expect(third.created.map((run) => run.slot)).toEqual([at(3)]);
    const info = await worker.schedules.get(task);
    expect(info?.lastCompletedSlot).toBe(at(1));
    expect(info?.skippedSlots).toBe(1);
    expect(info?.lastRun?.slot).toBe(at(3));
    const thirdId = third.created[0]?.jobId ?? "";
    await eventually(() => gates.has(thirdId), "the third run to start");
    gates.get(thirdId)?.();
    await handle.ref(thirdId).result();
    expect(runs).toEqual([firstId, thirdId]);
  });

  it("queue-one: keeps one slot while the last run is going, runs it once that ends, skips the rest", async () => {
    const task = "overlap-queue";
    const worker = producer([task]);
    const clock = { now: T0 };
    const scheduler = await started(worker, clock, { name: task, cron: "0 * * * *", overlap: "queue-one" });
    const schedules = simulatedSchedules(worker, clock);

    clock.now = at(1, 0, 1);
    const first = await tick(scheduler);
    const firstId = first.created[0]?.jobId ?? "";
    clock.now = at(2, 0, 1);
    expect((await tick(scheduler)).created).toEqual([]);
    expect((await schedules.get(task))?.queuedSlot).toBe(at(2));
    clock.now = at(3, 0, 1);
    const third = await tick(scheduler);
    expect(third.created).toEqual([]);
    expect(third.skipped).toBe(1);

    // The first run ends (cancelled here: any terminal state counts).
    expect(await worker.tasks.get(task)?.ref(firstId).cancel()).toBe(true);
    clock.now = at(3, 0, 2);
    const pass = await tick(scheduler);
    expect(pass.created.map((run) => [run.slot, run.catchUp])).toEqual([[at(2), false]]);
    const info = await schedules.get(task);
    expect(info?.queuedSlot).toBeNull();
    expect(info?.lastCompletedSlot).toBe(at(1));
    expect(info?.lastRun).toMatchObject({ slot: at(2), status: "queued" });
    expect(info?.skippedSlots).toBe(1);
    const jobs = await cronJobs(redis, namespace, task);
    expect(jobs.map((job) => [job.scheduledFor, job.status])).toEqual([
      [at(1), "cancelled"],
      [at(2), "queued"],
    ]);
  });

  it("allow: a run per slot whatever the last one is doing", async () => {
    const task = "overlap-allow";
    const worker = producer([task]);
    const clock = { now: T0 };
    const scheduler = await started(worker, clock, { name: task, cron: "0 * * * *" });
    for (const hour of [1, 2, 3]) {
      clock.now = at(hour, 0, 1);
      await tick(scheduler);
    }
    const jobs = await cronJobs(redis, namespace, task);
    expect(jobs.map((job) => [job.scheduledFor, job.status])).toEqual([
      [at(1), "queued"],
      [at(2), "queued"],
      [at(3), "queued"],
    ]);
  });
});

describe("a lost run cannot stop its schedule", () => {
  it("a run whose job expired or was deleted counts as ended: the next slot still fires", async () => {
    const task = "lost-run";
    const worker = producer([task]);
    const clock = { now: T0 };
    const scheduler = await started(worker, clock, { name: task, cron: "0 * * * *", overlap: "skip" });
    clock.now = at(1, 0, 1);
    const first = await tick(scheduler);
    const firstId = first.created[0]?.jobId ?? "";
    // The job vanishes (retention expiry, a manual DEL, a flush of its keys) while "queued".
    await redis.del(`${namespace}:{${task}}:job:${firstId}`);
    expect((await worker.schedules.get(task))?.lastRun).toMatchObject({ id: firstId, status: "missing" });

    clock.now = at(2, 0, 1);
    const second = await tick(scheduler);
    expect(second.created.map((run) => run.slot)).toEqual([at(2)]);
    // And a restarted scheduler (new process, nothing in memory) carries on from Redis alone.
    await scheduler.stop();
    const restarted = await started(worker, clock, { name: task, cron: "0 * * * *", overlap: "skip" });
    await redis.del(`${namespace}:{${task}}:job:${second.created[0]?.jobId ?? ""}`);
    clock.now = at(3, 0, 1);
    expect((await tick(restarted)).created.map((run) => run.slot)).toEqual([at(3)]);
  });
});
