/**
 * How long to wait before reconnecting a live stream: exponential in the number of failed
 * attempts in a row, capped, with full-range jitter around it so a server restart is not met by
 * every open tab at the same instant. A `retry:` the server sent raises the floor.
 */

export interface BackoffOptions {
  /** The first delay (also the floor). */
  readonly initialMs: number;
  readonly maxMs: number;
  /** 0.25 = anywhere from 75% to 125% of the exponential delay. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 30_000, jitter: 0.25 };

/**
 * @param failures consecutive failed attempts so far (0 for the first retry).
 * @param random a number in [0, 1) (Math.random in production; fixed in tests).
 * @param serverRetryMs the last `retry:` the server sent, if any.
 */
export function reconnectDelayMs(
  failures: number,
  random: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  serverRetryMs?: number,
): number {
  const floor = Math.max(options.initialMs, serverRetryMs ?? 0);
  const exponential = Math.min(options.maxMs, floor * 2 ** Math.max(0, failures));
  const spread = 1 - options.jitter + random * 2 * options.jitter;
  return Math.round(Math.min(options.maxMs * (1 + options.jitter), exponential * spread));
}
