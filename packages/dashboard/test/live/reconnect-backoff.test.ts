import { describe, expect, it } from "vitest";
import { DEFAULT_BACKOFF, reconnectDelayMs } from "../../src/live/reconnect-backoff.js";

const MIDDLE = 0.5;

describe("reconnectDelayMs", () => {
  it("doubles with each failure from the initial delay", () => {
    expect([0, 1, 2, 3].map((failures) => reconnectDelayMs(failures, MIDDLE))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
  });

  it("stops growing at the cap", () => {
    expect(reconnectDelayMs(20, MIDDLE)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(reconnectDelayMs(1_000, MIDDLE)).toBe(DEFAULT_BACKOFF.maxMs);
  });

  it("spreads delays by the jitter so tabs do not reconnect in step", () => {
    expect(reconnectDelayMs(2, 0)).toBe(3_000);
    expect(reconnectDelayMs(2, 0.999_999)).toBe(5_000);
    const delays = new Set([0, 0.2, 0.4, 0.6, 0.8].map((random) => reconnectDelayMs(2, random)));
    expect(delays.size).toBe(5);
  });

  it("never waits less than the retry the server asked for", () => {
    expect(reconnectDelayMs(0, MIDDLE, DEFAULT_BACKOFF, 3_000)).toBe(3_000);
    expect(reconnectDelayMs(1, MIDDLE, DEFAULT_BACKOFF, 3_000)).toBe(6_000);
  });
});
