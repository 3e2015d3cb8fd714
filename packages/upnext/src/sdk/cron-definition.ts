/**
 * What a cron schedule is, and its validation. A schedule names a task, a cron expression (5
 * fields, or 6 with seconds first), an IANA time zone and its missed-run and overlap policies.
 * Everything is checked when a schedule is defined or upserted: a wrong value throws an
 * InvalidOptionError naming the option, so a bad schedule never reaches Redis.
 */
import { InvalidOptionError, parseDuration, validateName, type Duration } from "@upnext/core";
import {
  CronSlots,
  MISSED_RUN_POLICIES,
  OVERLAP_POLICIES,
  type MissedRunPolicy,
  type OverlapPolicy,
} from "../runtime/cron/cron-slots.js";
import type { ScheduleDefinition } from "../runtime/cron/schedule-store.js";
import { rejectUnknown, type TaskOptions } from "./task-options.js";

export type { MissedRunPolicy, OverlapPolicy, ScheduleDefinition };

/** Default catch-up window of `missedRuns: "all"`. */
export const DEFAULT_CATCH_UP_WINDOW_MS = 3_600_000;

const MAX_CATCH_UP_WINDOW_MS = 366 * 86_400_000;

/** How a schedule behaves; shared by `worker.cron()` and `schedules.upsert()`. */
export interface ScheduleSettings<I = unknown> {
  /** IANA time zone the expression is read in (default "UTC"). */
  readonly timezone?: string;
  /** After downtime or a pause: "skip" (default), "latest" or "all" missed slots. */
  readonly missedRuns?: MissedRunPolicy;
  /** With missedRuns "all": only slots missed at most this long ago run (default 1h). */
  readonly catchUpWindow?: Duration;
  /** When the previous run is still going at a slot: "allow" (default), "skip" or "queue-one". */
  readonly overlap?: OverlapPolicy;
  /** The input of every run (JSON; default null). */
  readonly input?: I;
}

/** A schedule as given to `schedules.upsert()`. */
export interface ScheduleOptions<I = unknown> extends ScheduleSettings<I> {
  /** Stable name of the schedule (its identity: state and cursor are kept under it). */
  readonly name: string;
  /** The task each run is a job of (default: the schedule's name). */
  readonly task?: string;
  /** 5 fields (minute first) or 6 fields (seconds first), or a macro such as "@daily". */
  readonly cron: string;
}

export const SCHEDULE_SETTING_NAMES: ReadonlySet<string> = new Set([
  "timezone",
  "missedRuns",
  "catchUpWindow",
  "overlap",
  "input",
]);

const SCHEDULE_OPTION_NAMES = new Set(["name", "task", "cron", ...SCHEDULE_SETTING_NAMES]);

const MACROS = new Set([
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@hourly",
  "@minutely",
  "@secondly",
  "@weekdays",
  "@weekends",
]);

function checkExpression(value: unknown): string {
  if (typeof value !== "string") {
    throw new InvalidOptionError("cron", value, 'give a cron expression string such as "0 2 * * *"');
  }
  const expression = value.trim().replace(/\s+/g, " ");
  if (expression.startsWith("@")) {
    if (!MACROS.has(expression.toLowerCase())) {
      throw new InvalidOptionError(
        "cron",
        value,
        `use one of ${[...MACROS].join(", ")} or a cron expression`,
      );
    }
    return expression.toLowerCase();
  }
  const fields = expression.length === 0 ? 0 : expression.split(" ").length;
  if (fields !== 5 && fields !== 6) {
    throw new InvalidOptionError(
      "cron",
      value,
      `a cron expression has 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first; this one has ${fields}`,
    );
  }
  return expression;
}

function checkTimezone(value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new InvalidOptionError("timezone", value, 'give an IANA time zone such as "Europe/Paris" or "UTC"');
  }
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
  } catch {
    throw new InvalidOptionError(
      "timezone",
      value,
      'unknown time zone; give an IANA name such as "Europe/Paris", "America/New_York" or "UTC"',
    );
  }
  return value;
}

/** Compiles the expression in its zone; a failure is reported against the option at fault. */
function compile(cron: string, timezone: string, original: unknown): CronSlots {
  let slots: CronSlots;
  try {
    slots = new CronSlots(cron, "UTC");
  } catch (error) {
    throw new InvalidOptionError("cron", original, `cron-parser says: ${(error as Error).message}`);
  }
  try {
    slots = new CronSlots(cron, timezone);
  } catch (error) {
    throw new InvalidOptionError("timezone", timezone, `cron-parser says: ${(error as Error).message}`);
  }
  if (slots.nextAfter(Date.now()) === null) {
    throw new InvalidOptionError("cron", original, "the expression never matches a future time");
  }
  return slots;
}

function checkChoice<T extends string>(option: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    throw new InvalidOptionError(option, value, `use ${choices.map((choice) => `"${choice}"`).join(", ")}`);
  }
  return value as T;
}

/** The input as stored: JSON text. Rejects what JSON cannot carry faithfully. */
export function encodeScheduleInput(value: unknown): string {
  let text: unknown;
  try {
    // Typed as string, but undefined for functions and symbols.
    text = JSON.stringify(value === undefined ? null : value);
  } catch (error) {
    throw new InvalidOptionError(
      "input",
      "(not serialisable)",
      `give plain JSON data (${(error as Error).message})`,
    );
  }
  if (typeof text !== "string") throw new InvalidOptionError("input", typeof value, "give plain JSON data");
  return text;
}

/**
 * Validates a schedule. `where` prefixes unknown-option errors ("schedule" for upsert, "cron
 * options" for worker.cron).
 */
export function defineSchedule(options: ScheduleOptions, where = "schedule"): ScheduleDefinition {
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new InvalidOptionError(where, options, "give an options object");
  }
  rejectUnknown(where, options, SCHEDULE_OPTION_NAMES);
  const name = validateName("schedule name", options.name);
  const task = validateName("task", options.task ?? name);
  const cron = checkExpression(options.cron);
  const timezone = checkTimezone(options.timezone ?? "UTC");
  compile(cron, timezone, options.cron);
  const missedRuns = checkChoice("missedRuns", options.missedRuns ?? "skip", MISSED_RUN_POLICIES);
  if (options.catchUpWindow !== undefined && missedRuns !== "all") {
    throw new InvalidOptionError(
      "catchUpWindow",
      options.catchUpWindow,
      'catchUpWindow only applies with missedRuns: "all"; remove it or set missedRuns: "all"',
    );
  }
  const catchUpWindow =
    options.catchUpWindow === undefined
      ? DEFAULT_CATCH_UP_WINDOW_MS
      : parseDuration(options.catchUpWindow, "catchUpWindow");
  if (catchUpWindow < 1_000 || catchUpWindow > MAX_CATCH_UP_WINDOW_MS) {
    throw new InvalidOptionError("catchUpWindow", options.catchUpWindow, "use a duration from 1s to 366d");
  }
  const overlap = checkChoice("overlap", options.overlap ?? "allow", OVERLAP_POLICIES);
  const input: unknown = JSON.parse(encodeScheduleInput(options.input));
  return { name, task, cron, timezone, missedRuns, catchUpWindow, overlap, input };
}

/** Splits `worker.cron()` options into the schedule's settings and the task's options. */
export function splitCronOptions(options: object): {
  schedule: Record<string, unknown>;
  task: Record<string, unknown>;
} {
  const schedule: Record<string, unknown> = {};
  const task: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (SCHEDULE_SETTING_NAMES.has(key)) schedule[key] = value;
    else task[key] = value;
  }
  return { schedule, task };
}

/**
 * Options of `worker.cron()`: the schedule's settings plus the task's options (retries,
 * timeout, hooks...). `input` is the value every run receives, not a schema.
 */
export type CronOptions<I = null, O = unknown> = Omit<TaskOptions<I, O>, "input"> & ScheduleSettings<I>;
