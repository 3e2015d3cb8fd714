/**
 * A port of the store: whether it answers now, as a worker's `/ready` reports it. A check never
 * waits on a store that is known to be down, and never longer than its timeout.
 */

export interface StoreCheck {
  readonly ok: boolean;
  /** What was seen, for the probe's answer ("PING answered in 2ms", "connection is reconnecting"). */
  readonly detail: string;
}

export interface StoreHealth {
  check(timeoutMs: number): Promise<StoreCheck>;
}
