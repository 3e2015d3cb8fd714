import { describe, expect, it } from "vitest";
import { InvalidOptionError, parseSize } from "../src/index.js";

describe("parseSize", () => {
  it("reads bytes and decimal and binary units, case-insensitively", () => {
    expect(parseSize("512")).toBe(512);
    expect(parseSize("512b")).toBe(512);
    expect(parseSize("2KB")).toBe(2_000);
    expect(parseSize("100mb")).toBe(100_000_000);
    expect(parseSize("2GB")).toBe(2_000_000_000);
    expect(parseSize("1.5GiB")).toBe(1_610_612_736);
    expect(parseSize(" 64 MiB ")).toBe(67_108_864);
  });

  it("rejects zero, negatives, unknown units and junk with a message saying what to write", () => {
    for (const bad of ["0", "-1MB", "10 parsecs", "", "MB", "1e9"]) {
      expect(() => parseSize(bad, "UPNEXT_ARTIFACT_MAX_SIZE")).toThrow(InvalidOptionError);
    }
    expect(() => parseSize("lots")).toThrow(/"512KB", "100MB" or "2GB"/);
  });
});
