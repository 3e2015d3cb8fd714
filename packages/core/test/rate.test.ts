import { describe, expect, it } from "vitest";
import { InvalidOptionError, parseRate } from "../src/index.js";
import { catchError } from "./catch-error.js";

describe("parseRate", () => {
  it.each([
    ["100/s", 100, 1_000],
    ["10/m", 10, 60_000],
    ["5/10s", 5, 10_000],
    ["1000/h", 1_000, 3_600_000],
    ["20/d", 20, 86_400_000],
    ["3/250ms", 3, 250],
    ["1/1.5s", 1, 1_500],
    ["7/2h", 7, 7_200_000],
  ])("parses %j as %d per %d ms", (input, limit, windowMs) => {
    expect(parseRate(input)).toEqual({ limit, windowMs });
  });

  it("ignores blanks around the parts and the case of the unit", () => {
    expect(parseRate("  100 / s  ")).toEqual({ limit: 100, windowMs: 1_000 });
    expect(parseRate("5 / 10 s")).toEqual({ limit: 5, windowMs: 10_000 });
    expect(parseRate("10/M")).toEqual({ limit: 10, windowMs: 60_000 });
  });

  it.each([
    "0/s",
    "-1/s",
    "10/minute",
    "10/sec",
    "abc",
    "",
    "100",
    "/s",
    "100/",
    "1.5/s",
    "5/0s",
    "5/0ms",
    "5/-1s",
    "5/10x",
    "99999999999999999999/s",
  ])("rejects %j", (input) => {
    expect(() => parseRate(input, "limits.rate")).toThrow(InvalidOptionError);
  });

  it("names the option and the value in the error", () => {
    for (const input of ["0/s", "10/minute", "abc", "5/0s"]) {
      const error = catchError(InvalidOptionError, () => parseRate(input, "sendEmail.rateLimit"));
      expect(error.option).toBe("sendEmail.rateLimit");
      expect(error.value).toBe(input);
      expect(error.message).toContain("sendEmail.rateLimit");
      expect(error.message).toContain(JSON.stringify(input));
    }
  });

  it("says why a zero window is wrong", () => {
    const error = catchError(InvalidOptionError, () => parseRate("5/0s"));
    expect(error.option).toBe("rateLimit");
    expect(error.message).toContain("window");
  });
});
