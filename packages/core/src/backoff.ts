import { type Duration, parseDuration } from "./duration.js";
import { InvalidOptionError } from "./errors.js";

/** How long to wait before the next attempt of a failed job. */
export interface BackoffOptions {
  readonly type?: "fixed" | "exponential";
  /** Base delay (default 1s). */
  readonly delay?: Duration;
  /** Upper bound of an exponential delay (default 1h, or `delay` when that is longer). */
  readonly maxDelay?: Duration;
  /**
   * Fraction in [0, 1] by which each delay is randomly shortened, so retries of many jobs that
   * failed together spread out. 0 (default) is deterministic; 1 is "full jitter".
   */
  readonly jitter?: number;
}

export interface BackoffPolicy {
  readonly type: "fixed" | "exponential";
  readonly delayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: number;
}

export function resolveBackoff(options: BackoffOptions | undefined, what = "backoff"): BackoffPolicy {
  // Checked at run time too: definitions often come from plain JavaScript or parsed config.
  const type = (options?.type ?? "exponential") as string;
  if (type !== "fixed" && type !== "exponential") {
    throw new InvalidOptionError(`${what}.type`, type, 'use "fixed" or "exponential"');
  }
  const delayMs = parseDuration(options?.delay ?? 1_000, `${what}.delay`);
  // Without an explicit cap, a delay longer than the default cap is the user's intent, not an error.
  const maxDelayMs =
    options?.maxDelay === undefined
      ? Math.max(3_600_000, delayMs)
      : parseDuration(options.maxDelay, `${what}.maxDelay`);
  if (maxDelayMs < delayMs) {
    throw new InvalidOptionError(
      `${what}.maxDelay`,
      options?.maxDelay,
      "maxDelay must not be shorter than delay",
    );
  }
  const jitter = options?.jitter ?? 0;
  if (typeof jitter !== "number" || !(jitter >= 0 && jitter <= 1)) {
    throw new InvalidOptionError(`${what}.jitter`, jitter, "jitter is a fraction between 0 and 1");
  }
  return { type, delayMs, maxDelayMs, jitter };
}

/**
 * Delay before the attempt after `failedAttempt` (1-based): fixed, or delay × 2^(n-1) capped
 * at maxDelay, then shortened by up to `jitter` of itself.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  failedAttempt: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, failedAttempt - 1);
  const base =
    policy.type === "fixed"
      ? policy.delayMs
      : Math.min(policy.maxDelayMs, policy.delayMs * 2 ** Math.min(exponent, 52));
  return Math.max(0, Math.round(base - base * policy.jitter * random()));
}
