import { InvalidOptionError } from "./errors.js";

/** A duration: milliseconds as a number, or a string such as "250ms", "30s", "5m", "1h30m", "2d". */
export type Duration = number | string;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * Parses a duration into whole milliseconds. `what` names the option in the error, so a
 * user sees which setting was wrong and what forms are accepted.
 */
export function parseDuration(value: Duration, what = "duration"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new InvalidOptionError(what, value, "a duration must be a finite number of milliseconds >= 0");
    }
    return Math.round(value);
  }
  // Options also arrive from plain JavaScript and parsed files, where the type is not enforced.
  if (typeof value !== "string") {
    throw new InvalidOptionError(
      what,
      value,
      'a duration is a number of milliseconds or a string like "30s"',
    );
  }
  const text = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text));
  let total = 0;
  let index = 0;
  PART.lastIndex = 0;
  while (index < text.length) {
    PART.lastIndex = index;
    const match = PART.exec(text);
    if (!match) break;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? Number.NaN);
    index = PART.lastIndex;
  }
  if (text.length === 0 || index !== text.length || !Number.isFinite(total)) {
    throw new InvalidOptionError(
      what,
      value,
      'use milliseconds as a number, or a string like "250ms", "30s", "5m", "1h30m" or "2d"',
    );
  }
  return Math.round(total);
}

/** Renders milliseconds compactly for messages and docs ("1.5s", "5m", "2h"). */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Number((ms / 1_000).toFixed(3))}s`;
}
