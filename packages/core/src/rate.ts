import { parseDuration } from "./duration.js";
import { InvalidOptionError } from "./errors.js";

/** A rate: `limit` events per `windowMs` milliseconds. */
export interface Rate {
  readonly limit: number;
  readonly windowMs: number;
}

const RATE = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m|h|d)\s*$/i;

/** Parses "100/s", "10/m", "5/10s", "1000/h" or "20/d" into a limit and a window. */
export function parseRate(value: string, what = "rateLimit"): Rate {
  const match = RATE.exec(value);
  const limit = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isSafeInteger(limit) || limit <= 0) {
    throw new InvalidOptionError(
      what,
      value,
      'use "<count>/<unit>" or "<count>/<n><unit>" with a positive count, e.g. "100/s", "10/m", "5/10s"',
    );
  }
  const windowMs = parseDuration(`${match[2] ?? "1"}${(match[3] ?? "s").toLowerCase()}`, what);
  if (windowMs <= 0) {
    throw new InvalidOptionError(what, value, "the window must be longer than zero");
  }
  return { limit, windowMs };
}
