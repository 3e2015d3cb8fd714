import { describe, expect, it } from "vitest";
import { type BackoffPolicy, InvalidOptionError, backoffDelay, resolveBackoff } from "../src/index.js";
import { catchError } from "./catch-error.js";

const noJitter = () => 0;

describe("resolveBackoff", () => {
  it("defaults to exponential from 1s up to 1h without jitter", () => {
    expect(resolveBackoff(undefined)).toEqual({
      type: "exponential",
      delayMs: 1_000,
      maxDelayMs: 3_600_000,
      jitter: 0,
    });
    expect(resolveBackoff({})).toEqual(resolveBackoff(undefined));
  });

  it("parses durations given as strings or milliseconds", () => {
    expect(resolveBackoff({ type: "fixed", delay: "5s", maxDelay: "1m", jitter: 0.5 })).toEqual({
      type: "fixed",
      delayMs: 5_000,
      maxDelayMs: 60_000,
      jitter: 0.5,
    });
    expect(resolveBackoff({ delay: 250, maxDelay: 250 })).toMatchObject({ delayMs: 250, maxDelayMs: 250 });
  });

  it("accepts a delay longer than the default cap when no cap is given", () => {
    expect(resolveBackoff({ type: "fixed", delay: "2h" })).toMatchObject({ delayMs: 7_200_000 });
    expect(resolveBackoff({ delay: "2h" })).toMatchObject({ delayMs: 7_200_000, maxDelayMs: 7_200_000 });
  });

  it("rejects an unknown type", () => {
    const error = catchError(InvalidOptionError, () =>
      resolveBackoff({ type: "linear" as "fixed" }, "sendEmail.backoff"),
    );
    expect(error.option).toBe("sendEmail.backoff.type");
    expect(error.message).toContain('"linear"');
  });

  it("rejects an invalid delay or maxDelay, naming which", () => {
    expect(catchError(InvalidOptionError, () => resolveBackoff({ delay: "soon" })).option).toBe(
      "backoff.delay",
    );
    expect(catchError(InvalidOptionError, () => resolveBackoff({ delay: -1 })).option).toBe("backoff.delay");
    expect(catchError(InvalidOptionError, () => resolveBackoff({ maxDelay: "5x" })).option).toBe(
      "backoff.maxDelay",
    );
  });

  it("rejects a maxDelay shorter than the delay", () => {
    const error = catchError(InvalidOptionError, () => resolveBackoff({ delay: "10s", maxDelay: "5s" }));
    expect(error.option).toBe("backoff.maxDelay");
    expect(error.value).toBe("5s");
  });

  it.each([-0.1, 1.01, Number.NaN, Number.POSITIVE_INFINITY, "0.5"])("rejects jitter %j", (jitter) => {
    const error = catchError(InvalidOptionError, () => resolveBackoff({ jitter: jitter as number }));
    expect(error.option).toBe("backoff.jitter");
  });

  it("accepts jitter at both ends of [0, 1]", () => {
    expect(resolveBackoff({ jitter: 0 }).jitter).toBe(0);
    expect(resolveBackoff({ jitter: 1 }).jitter).toBe(1);
  });
});

describe("backoffDelay", () => {
  it("waits the same time after every failure with a fixed policy", () => {
    const policy = resolveBackoff({ type: "fixed", delay: "3s" });
    expect([1, 2, 3, 10, 100].map((attempt) => backoffDelay(policy, attempt, noJitter))).toEqual([
      3_000, 3_000, 3_000, 3_000, 3_000,
    ]);
  });

  it("doubles the delay after each failure with an exponential policy", () => {
    const policy = resolveBackoff({ type: "exponential", delay: "1s", maxDelay: "1h" });
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(policy, attempt, noJitter))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000,
    ]);
  });

  it("caps the exponential delay at maxDelay", () => {
    const policy = resolveBackoff({ delay: "1s", maxDelay: "10s" });
    expect([4, 5, 6, 50].map((attempt) => backoffDelay(policy, attempt, noJitter))).toEqual([
      8_000, 10_000, 10_000, 10_000,
    ]);
    // Exponents large enough to overflow 2^n must still land on the cap, not on Infinity or NaN.
    expect(backoffDelay(policy, 5_000, noJitter)).toBe(10_000);
  });

  it("treats attempt numbers below 1 as the first failure", () => {
    const policy = resolveBackoff({ delay: "1s" });
    expect(backoffDelay(policy, 0, noJitter)).toBe(1_000);
    expect(backoffDelay(policy, -3, noJitter)).toBe(1_000);
  });

  it("shortens each delay by at most `jitter` of itself", () => {
    const policy: BackoffPolicy = resolveBackoff({ delay: "1s", maxDelay: "1h", jitter: 0.25 });
    // 8s is the un-jittered delay of the 4th failure.
    expect(backoffDelay(policy, 4, () => 0)).toBe(8_000);
    expect(backoffDelay(policy, 4, () => 0.5)).toBe(7_000);
    expect(backoffDelay(policy, 4, () => 0.999_999)).toBe(6_000);
    for (let i = 0; i < 1_000; i++) {
      const delay = backoffDelay(policy, 4);
      expect(delay).toBeGreaterThanOrEqual(6_000);
      expect(delay).toBeLessThanOrEqual(8_000);
    }
  });

  it("applies jitter to the capped delay, and full jitter may reach zero", () => {
    const capped = resolveBackoff({ delay: "1s", maxDelay: "10s", jitter: 0.5 });
    expect(backoffDelay(capped, 20, () => 0.999_999)).toBe(5_000);
    const full = resolveBackoff({ delay: "1s", jitter: 1 });
    expect(backoffDelay(full, 1, () => 0.999_999)).toBe(0);
    expect(backoffDelay(full, 1, () => 0)).toBe(1_000);
  });

  it("uses the injected random source and nothing else", () => {
    const policy = resolveBackoff({ type: "fixed", delay: "1s", jitter: 1 });
    const draws: number[] = [];
    const random = () => {
      draws.push(0.3);
      return 0.3;
    };
    expect(backoffDelay(policy, 1, random)).toBe(700);
    expect(draws).toHaveLength(1);
  });
});
