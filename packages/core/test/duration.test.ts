import { describe, expect, it } from "vitest";
import { InvalidOptionError, formatDuration, parseDuration } from "../src/index.js";
import { catchError } from "./catch-error.js";

describe("parseDuration", () => {
  it.each([
    ["250ms", 250],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["2d", 172_800_000],
    ["1d2h3m4s5ms", 93_784_005],
    ["1.5s", 1_500],
    ["0s", 0],
    // Case and surrounding blanks are forgiven: values often come from hand-written env files.
    ["  30S  ", 30_000],
    ["5M", 300_000],
  ])("parses %j as %d ms", (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it("reads 'm' as minutes and 'ms' as milliseconds", () => {
    expect(parseDuration("1m")).toBe(60_000);
    expect(parseDuration("1ms")).toBe(1);
    expect(parseDuration("1m1ms")).toBe(60_001);
  });

  it("takes plain numbers as milliseconds, rounded to whole ones", () => {
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(1_500)).toBe(1_500);
    expect(parseDuration(1.4)).toBe(1);
    expect(parseDuration(1.6)).toBe(2);
  });

  it("takes numeric strings as milliseconds", () => {
    expect(parseDuration("1500")).toBe(1_500);
    expect(parseDuration(" 42 ")).toBe(42);
    expect(parseDuration("2.5")).toBe(3);
  });

  it.each(["", "   ", "abc", "5x", "-1", "-5s", "1h30", "s", "5 s", ".5s", "1e3", "5sec", "10 minutes"])(
    "rejects the string %j",
    (input) => {
      expect(() => parseDuration(input, "timeout")).toThrow(InvalidOptionError);
    },
  );

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, -0.5])(
    "rejects the number %d",
    (input) => {
      expect(() => parseDuration(input, "timeout")).toThrow(InvalidOptionError);
    },
  );

  it("names the option and the offending value in the error", () => {
    const error = catchError(InvalidOptionError, () => parseDuration("5x", "retry.delay"));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.option).toBe("retry.delay");
    expect(error.value).toBe("5x");
    expect(error.code).toBe("invalid_option");
    expect(error.message).toContain("retry.delay");
    expect(error.message).toContain('"5x"');
    // The message must show the accepted forms, so the user can fix the value without the docs.
    expect(error.message).toContain('"30s"');
  });

  it("names the option for a non-finite number", () => {
    const error = catchError(InvalidOptionError, () =>
      parseDuration(Number.POSITIVE_INFINITY, "leaseDuration"),
    );
    expect(error.option).toBe("leaseDuration");
    expect(error.message).toMatch(/^Invalid leaseDuration: /);
  });

  it("rejects values of the wrong type from untyped callers with an InvalidOptionError", () => {
    const values: unknown[] = [true, null, {}, [], undefined];
    for (const value of values) {
      const error = catchError(InvalidOptionError, () => parseDuration(value as string, "timeout"));
      expect(error.option).toBe("timeout");
    }
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0ms"],
    [250, "250ms"],
    [999, "999ms"],
    [1_000, "1s"],
    [1_500, "1.5s"],
    [1_001, "1.001s"],
    [30_000, "30s"],
    [90_000, "90s"],
    [300_000, "5m"],
    [5_400_000, "90m"],
    [3_600_000, "1h"],
    [7_200_000, "2h"],
    [86_400_000, "1d"],
    [172_800_000, "2d"],
  ])("formats %d ms as %j", (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it("produces text that parseDuration reads back to the same value", () => {
    for (const ms of [0, 1, 999, 1_000, 1_001, 61_000, 3_599_999, 3_600_000, 90_061_001, 604_800_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
