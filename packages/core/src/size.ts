import { InvalidOptionError } from "./errors.js";

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\s*$/i;
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  tb: 1_000_000_000_000,
  kib: 1_024,
  mib: 1_048_576,
  gib: 1_073_741_824,
  tib: 1_099_511_627_776,
};

/** Parses "512", "512KB", "100MB", "2GB" or "1.5GiB" into bytes (KB = 1000, KiB = 1024). */
export function parseSize(value: string, what = "size"): number {
  const match = SIZE.exec(value);
  const unit = (match?.[2] ?? "b").toLowerCase();
  const result = match ? Math.floor(Number(match[1]) * (UNIT_BYTES[unit] ?? Number.NaN)) : Number.NaN;
  if (!Number.isSafeInteger(result) || result <= 0) {
    throw new InvalidOptionError(what, value, 'use a positive size such as "512KB", "100MB" or "2GB"');
  }
  return result;
}
