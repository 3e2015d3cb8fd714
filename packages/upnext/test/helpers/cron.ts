/**
 * Cron test helpers: a scheduler driven by a simulated clock (tests call tick() themselves, so
 * hours of downtime take no time), and the jobs a schedule created, read from their hashes.
 */
import type { JobOrigin } from "@upnext/core";
import type { Redis } from "ioredis";
import { CronScheduler, type PassReport } from "../../src/runtime/cron/cron-scheduler.js";
import { defineSchedule, type ScheduleOptions } from "../../src/sdk/cron-definition.js";
import { Schedules, type Worker } from "../../src/index.js";

export interface SimClock {
  now: number;
}

/** A scheduler on `worker`'s connection and tasks, with a simulated clock and no timer. */
export function simulatedScheduler(
  worker: Worker,
  clock: SimClock,
  schedules: readonly ScheduleOptions[] = [],
  skewMs = 0,
): { scheduler: CronScheduler; start: () => Promise<void> } {
  const scheduler = new CronScheduler({
    runsTask: (task) => worker.tasks.has(task),
    prepareRun: (task, input, now, origin) => {
      const handle = worker.tasks.get(task);
      if (!handle) throw new Error(`no task ${task}`);
      return handle.prepare(input, {}, now, origin);
    },
    now: () => clock.now + skewMs,
    autoTick: false,
    graceMs: 5_000,
    intervalMs: 1_000,
  });
  for (const options of schedules) scheduler.define(defineSchedule(options));
  const start = () =>
    scheduler.start({
      workerId: `sim-${worker.name}`,
      connection: worker.connection,
      logger: worker.connection.logger,
    });
  return { scheduler, start };
}

/** Schedules on `worker`'s connection with the simulated clock (pause/resume times, creation). */
export function simulatedSchedules(worker: Worker, clock: SimClock): Schedules {
  return new Schedules(
    {},
    { connection: () => worker.connection, task: (name) => worker.tasks.get(name), now: () => clock.now },
  );
}

export interface CronJob {
  readonly id: string;
  readonly status: string;
  readonly input: unknown;
  readonly schedule: string;
  readonly scheduledFor: number;
  readonly catchUp: boolean;
  readonly createdAt: number;
}

/**
 * Every job of `task` with a cron origin that is still waiting in the task's queue (its stream,
 * or its priority set), by slot then creation. Reading the queue rather than SCANning keys keeps
 * this fast on a Redis holding many keys; use it where no worker consumes the task.
 */
export async function cronJobs(redis: Redis, namespace: string, task: string): Promise<CronJob[]> {
  const base = `${namespace}:{${task}}`;
  const entries = await redis.xrange(`${base}:stream`, "-", "+");
  const ids = entries.flatMap(([, fields]) => (fields[0] === "i" && fields[1] ? [fields[1]] : []));
  ids.push(...(await redis.zrange(`${base}:priority`, "0", "-1")));
  return (await cronJobsById(redis, namespace, task, ids)).sort(
    (a, b) => a.scheduledFor - b.scheduledFor || a.id.localeCompare(b.id),
  );
}

/** The given jobs of `task` that exist and carry a cron origin, in the order given. */
export async function cronJobsById(
  redis: Redis,
  namespace: string,
  task: string,
  ids: readonly string[],
): Promise<CronJob[]> {
  const jobs: CronJob[] = [];
  for (const id of ids) {
    const hash = await redis.hgetall(`${namespace}:{${task}}:job:${id}`);
    if (!hash.origin) continue;
    const origin = JSON.parse(hash.origin) as JobOrigin;
    if (origin.kind !== "cron") continue;
    jobs.push({
      id,
      status: hash.status ?? "",
      input: JSON.parse(hash.input ?? "null") as unknown,
      schedule: origin.schedule,
      scheduledFor: origin.scheduledFor,
      catchUp: origin.catchUp,
      createdAt: Number(hash.createdAt),
    });
  }
  return jobs;
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
export const SECOND = 1_000;

/** A fixed instant well in the future, so no real-clock scheduler ever finds these slots due. */
export const T0 = Date.UTC(2031, 0, 1, 0, 0, 30);

export function at(hours: number, minutes = 0, seconds = 0): number {
  return Date.UTC(2031, 0, 1, hours, minutes, seconds);
}

/** One scheduler pass that fails the test if any schedule's pass failed. */
export async function tick(scheduler: CronScheduler): Promise<PassReport> {
  const report = await scheduler.tick();
  const [failure] = report.failed;
  if (failure) throw failure.error instanceof Error ? failure.error : new Error(String(failure.error));
  return report;
}
