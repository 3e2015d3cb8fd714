/**
 * Zod builders for the query and path parameters of the read API. Every message names the bad
 * value and what is allowed; the error handler adds the parameter's name (the issue path), so a
 * 400 says exactly which parameter to fix. Values that reach SQL or Redis keys are checked
 * against their formats and lengths here, before any handler runs.
 */
import {
  MAX_JOB_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_WORKER_ID_LENGTH,
  TIME_WINDOW_NAMES,
  isValidJobId,
  isValidName,
  isValidWorkerId,
} from "@upnext/core";
import { z } from "zod";
import { DEFAULT_TREND_HOURS, MAX_TREND_HOURS } from "../reports/job-trends.js";
import type { TagFilter } from "../store/tag-filter.js";

/** Most values one repeated (or comma-separated) parameter may carry. */
export const MAX_LIST_VALUES = 50;
/** Longest time parameter accepted (an ISO-8601 string with an offset, or epoch ms). */
const MAX_TIME_LENGTH = 40;
const MAX_TAG_KEY_LENGTH = 255;
const MAX_TAG_VALUE_LENGTH = 1_024;
/** Latest epoch-ms time accepted: year 9999, beyond any real job. */
const MAX_EPOCH_MS = 253_402_300_799_999;

const EPOCH_MS = /^\d{1,15}$/;
// A date, or a date and time with `Z` or an offset: a time without a zone would be read in the
// server's local zone, which is never what a URL means.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i;

function show(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

export function functionNameSchema() {
  return z
    .string()
    .max(MAX_NAME_LENGTH, {
      error: (issue) => `${show(issue.input)} is longer than ${MAX_NAME_LENGTH} characters`,
    })
    .refine(isValidName, {
      error: (issue) =>
        `${show(issue.input)} is not a function name: use 1-${MAX_NAME_LENGTH} letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
    });
}

export function jobIdSchema() {
  return z
    .string()
    .max(MAX_JOB_ID_LENGTH, {
      error: (issue) => `${show(issue.input)} is longer than ${MAX_JOB_ID_LENGTH} characters`,
    })
    .refine(isValidJobId, {
      error: (issue) =>
        `${show(issue.input)} is not a job id: use 1-${MAX_JOB_ID_LENGTH} letters, digits, '_' or '-'`,
    });
}

export function workerIdSchema() {
  return z
    .string()
    .max(MAX_WORKER_ID_LENGTH, {
      error: (issue) => `${show(issue.input)} is longer than ${MAX_WORKER_ID_LENGTH} characters`,
    })
    .refine(isValidWorkerId, {
      error: (issue) =>
        `${show(issue.input)} is not a worker id: use 1-${MAX_WORKER_ID_LENGTH} letters, digits, '.', '_', ':' or '-'`,
    });
}

/** A value from a closed set; the message lists the set. */
export function oneOfSchema<const T extends readonly [string, ...string[]]>(what: string, values: T) {
  return z.enum(values, {
    error: (issue) => `${show(issue.input)} is not a ${what}; allowed: ${values.join(", ")}`,
  });
}

/**
 * A parameter given once, repeated (`?status=a&status=b`) or comma-separated
 * (`?status=a,b`): always an array of distinct valid items after parsing.
 */
export function listSchema<T extends z.ZodType<string, string>>(item: T) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((value) => [
      ...new Set(
        (Array.isArray(value) ? value : [value])
          .flatMap((part) => part.split(","))
          .map((part) => part.trim())
          .filter((part) => part !== ""),
      ),
    ])
    .pipe(
      z
        .array(item)
        .min(1, { error: "give at least one value" })
        .max(MAX_LIST_VALUES, { error: `give at most ${MAX_LIST_VALUES} values` }),
    );
}

/** A time as ISO-8601 (with `Z` or an offset, or a bare date in UTC) or epoch milliseconds; parsed to epoch ms. */
export function timeSchema() {
  return z
    .string()
    .max(MAX_TIME_LENGTH, { error: (issue) => `${show(issue.input)} is too long for a time` })
    .transform((value, context) => {
      const text = value.trim();
      const ms = EPOCH_MS.test(text) ? Number(text) : ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
      if (!Number.isFinite(ms) || ms < 0 || ms > MAX_EPOCH_MS) {
        context.addIssue({
          code: "custom",
          input: value,
          message: `${show(value)} is not a time: use ISO-8601 with Z or an offset (2026-01-31T12:00:00Z), a date (2026-01-31), or epoch milliseconds`,
        });
        return z.NEVER;
      }
      return ms;
    });
}

/** `window` of the dashboard, trends and stats: one of the named windows (15m, 1h, 6h, 24h, 7d). */
export function timeWindowParamSchema() {
  return oneOfSchema("time window", TIME_WINDOW_NAMES);
}

/** `hours` of a trends query (REST and live): whole hours, 1 to a week; the caller describes it. */
export function trendHoursSchema() {
  return z.coerce
    .number({ error: (issue) => `${JSON.stringify(issue.input)} is not a number of hours` })
    .int({ error: "hours must be a whole number" })
    .min(1, { error: `hours must be 1-${MAX_TREND_HOURS}` })
    .max(MAX_TREND_HOURS, { error: `hours must be 1-${MAX_TREND_HOURS} (7 days)` })
    .default(DEFAULT_TREND_HOURS);
}

/** `key:value` (split at the first colon): jobs carrying that tag. */
export function tagSchema() {
  return z.string().transform((text, context): TagFilter => {
    const colon = text.indexOf(":");
    const key = colon < 0 ? "" : text.slice(0, colon);
    const value = colon < 0 ? "" : text.slice(colon + 1);
    if (key === "" || key.length > MAX_TAG_KEY_LENGTH || value.length > MAX_TAG_VALUE_LENGTH) {
      context.addIssue({
        code: "custom",
        input: text,
        message: `${show(text)} is not a tag filter: use key:value (key 1-${MAX_TAG_KEY_LENGTH} characters, value up to ${MAX_TAG_VALUE_LENGTH})`,
      });
      return z.NEVER;
    }
    return { key, value };
  });
}

/** Repeatable `tag=key:value` (not comma-split: tag values may contain commas). */
export function tagListSchema() {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .pipe(
      z.array(tagSchema()).max(MAX_LIST_VALUES, { error: `give at most ${MAX_LIST_VALUES} tag filters` }),
    );
}
