/**
 * Cron definitions are checked when they are written: every wrong setting throws an
 * InvalidOptionError naming the option, with cron-parser's reason for a bad expression.
 */
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidOptionError, type ScheduleOptions } from "../src/index.js";
import { defineSchedule } from "../src/sdk/cron-definition.js";
import { CronSlots, planSlots } from "../src/runtime/cron/cron-slots.js";
import { testWorker } from "./helpers/worker.js";
import { testNamespace } from "./helpers/redis.js";

const namespace = testNamespace("cron-definition");
const worker = testWorker(namespace);

afterAll(async () => {
  await worker.stop();
});

function optionError(run: () => unknown): InvalidOptionError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw error;
  }
  throw new Error("expected an InvalidOptionError");
}

const base: ScheduleOptions = { name: "report", cron: "0 2 * * *" };

describe("schedule definitions", () => {
  it("fills in the defaults", () => {
    expect(defineSchedule(base)).toEqual({
      name: "report",
      task: "report",
      cron: "0 2 * * *",
      timezone: "UTC",
      missedRuns: "skip",
      catchUpWindow: 3_600_000,
      overlap: "allow",
      input: null,
    });
  });

  it("accepts 5 and 6 fields (seconds first), macros, IANA zones, and normalises spacing", () => {
    expect(defineSchedule({ ...base, cron: "  */15   * * * * * " }).cron).toBe("*/15 * * * * *");
    expect(defineSchedule({ ...base, cron: "@Daily" }).cron).toBe("@daily");
    const paris = defineSchedule({ ...base, timezone: "Europe/Paris" });
    expect(paris.timezone).toBe("Europe/Paris");
    // 02:00 in Paris in January is 01:00 UTC.
    const slots = new CronSlots(paris.cron, paris.timezone);
    expect(slots.nextAfter(Date.UTC(2031, 0, 1))).toBe(Date.UTC(2031, 0, 1, 1));
    expect(
      defineSchedule({
        ...base,
        missedRuns: "all",
        catchUpWindow: "6h",
        overlap: "queue-one",
        input: { a: 1 },
      }),
    ).toMatchObject({ missedRuns: "all", catchUpWindow: 21_600_000, overlap: "queue-one", input: { a: 1 } });
  });

  it.each([
    ["cron", { ...base, cron: "61 * * * *" }, /cron-parser says: .*61/],
    ["cron", { ...base, cron: "* * * *" }, /5 fields .* 6 with seconds first; this one has 4/],
    ["cron", { ...base, cron: "* * * * * * *" }, /this one has 7/],
    ["cron", { ...base, cron: "" }, /this one has 0/],
    ["cron", { ...base, cron: "@sometimes" }, /@daily/],
    ["cron", { ...base, cron: 5 }, /cron expression string/],
    ["cron", { ...base, cron: "0 0 30 2 *" }, /cron-parser says/],
    ["timezone", { ...base, timezone: "Mars/Olympus_Mons" }, /IANA/],
    ["timezone", { ...base, timezone: "" }, /IANA/],
    ["missedRuns", { ...base, missedRuns: "some" }, /"skip", "latest", "all"/],
    ["overlap", { ...base, overlap: "cancel" }, /"allow", "skip", "queue-one"/],
    ["catchUpWindow", { ...base, catchUpWindow: "1h" }, /only applies with missedRuns: "all"/],
    ["catchUpWindow", { ...base, missedRuns: "all", catchUpWindow: "soon" }, /30s/],
    ["catchUpWindow", { ...base, missedRuns: "all", catchUpWindow: 10 }, /1s to 366d/],
    ["input", { ...base, input: () => 1 }, /plain JSON/],
    ["input", { ...base, input: { big: 1n } }, /plain JSON/],
    ["schedule name", { ...base, name: "has space" }, /letters, digits/],
    ["task", { ...base, task: "{tag}" }, /letters, digits/],
    ["schedule.every", { ...base, every: "1h" }, /unknown option/],
  ])("rejects a bad %s", (option, options, reason) => {
    const error = optionError(() => defineSchedule(options as ScheduleOptions));
    expect(error.option).toBe(option);
    expect(error.message).toMatch(reason);
  });
});

describe("worker.cron()", () => {
  it("defines a task of the schedule's name that takes task options too", () => {
    const handle = worker.cron("nightly", "0 2 * * *", { timezone: "Europe/Paris", retries: 2 }, () => "ok");
    expect(handle.name).toBe("nightly");
    expect(handle.definition.maxAttempts).toBe(3);
    expect(worker.tasks.get("nightly")).toBe(handle);
  });

  it("names the wrong option", () => {
    expect(optionError(() => worker.cron("bad-1", "0 2 * *", {}, () => null)).option).toBe("cron");
    expect(
      optionError(() => worker.cron("bad-2", "0 2 * * *", { timezone: "Nowhere/City" }, () => null)).option,
    ).toBe("timezone");
    expect(
      optionError(() => worker.cron("bad-3", "0 2 * * *", { overlap: "maybe" as "skip" }, () => null)).option,
    ).toBe("overlap");
    expect(optionError(() => worker.cron("bad-4", "0 2 * * *", { retries: -1 }, () => null)).option).toBe(
      "retries",
    );
    // A schedule's name is its task's name: it cannot be defined twice.
    expect(optionError(() => worker.cron("nightly", "0 3 * * *", {}, () => null)).option).toBe("task name");
    // Nothing of a rejected definition was kept.
    expect([...worker.tasks.keys()]).toEqual(["nightly"]);
  });

  it("checks a runtime schedule's input against the worker's own task schema", async () => {
    const typed = testWorker(namespace, { name: "typed" });
    typed.task("typed-report", { input: z.object({ day: z.string() }) }, (input) => input.day);
    const rejection = await typed.schedules
      .upsert({ name: "typed", task: "typed-report", cron: "0 2 * * *", input: { day: 3 } })
      .catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(InvalidOptionError);
    expect((rejection as InvalidOptionError).option).toBe("input");
    expect((rejection as InvalidOptionError).message).toMatch(/typed-report/);
    await typed.stop();
  });
});

describe("slot planning around the grace", () => {
  const hourly = new CronSlots("0 * * * *", "UTC");
  const cursor = Date.UTC(2031, 0, 1, 0, 30);
  it("a slot noticed within the grace is an on-time run, after it a missed one", () => {
    const plan = (now: number) =>
      planSlots({
        slots: hourly,
        missedRuns: "latest",
        catchUpWindow: 3_600_000,
        cursor,
        now,
        graceMs: 5_000,
        maxRuns: 10,
      });
    expect(plan(Date.UTC(2031, 0, 1, 0, 59))).toBeNull();
    expect(plan(Date.UTC(2031, 0, 1, 1, 0, 5))?.runs).toEqual([
      { slot: Date.UTC(2031, 0, 1, 1), catchUp: false },
    ]);
    expect(plan(Date.UTC(2031, 0, 1, 1, 0, 6))?.runs).toEqual([
      { slot: Date.UTC(2031, 0, 1, 1), catchUp: true },
    ]);
  });

  it("a slot that passed during a pause is missed even when the pause was shorter than the grace", () => {
    const plan = planSlots({
      slots: hourly,
      missedRuns: "skip",
      catchUpWindow: 3_600_000,
      cursor,
      now: Date.UTC(2031, 0, 1, 1, 0, 2),
      graceMs: 5_000,
      maxRuns: 10,
      resumedAt: Date.UTC(2031, 0, 1, 1, 0, 1),
    });
    expect(plan).toMatchObject({ runs: [], skipped: 1 });
  });
});
