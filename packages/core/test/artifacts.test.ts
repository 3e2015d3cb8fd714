import { describe, expect, it } from "vitest";
import {
  InvalidOptionError,
  isValidArtifactId,
  isValidContentType,
  validateArtifactName,
  validateContentType,
} from "../src/index.js";

describe("artifact names, ids and content types", () => {
  it("accepts ordinary file names, unicode included, up to 255 characters", () => {
    for (const name of ["report.pdf", "résumé 2026.txt", "a", "n".repeat(255), "data.tar.gz", ".hidden"]) {
      expect(validateArtifactName(name)).toBe(name);
    }
  });

  it("refuses separators, control characters, dot names, padding and overlong names", () => {
    const bad = [
      "",
      ".",
      "..",
      "a/b",
      "a\\b",
      "tab\there",
      "nul\u0000",
      "del\u007f",
      " lead",
      "trail ",
      "x".repeat(256),
      "evil\u202etxt.exe",
      42,
    ];
    for (const name of bad) {
      expect(() => validateArtifactName(name), JSON.stringify(name)).toThrow(InvalidOptionError);
    }
    expect(() => validateArtifactName("a/b")).toThrow(/Invalid artifact name: "a\/b"; use 1-255 characters/);
  });

  it("takes ids fit for keys and media types with parameters", () => {
    expect(isValidArtifactId("01J9ZQ5V7M3KX8D2F4G6H8J0KM")).toBe(true);
    expect(isValidArtifactId("../x")).toBe(false);
    expect(isValidArtifactId("x".repeat(65))).toBe(false);
    for (const type of [
      "text/plain",
      "text/plain; charset=utf-8",
      'multipart/mixed; boundary="a b"',
      "application/vnd.api+json",
    ]) {
      expect(isValidContentType(type), type).toBe(true);
    }
    for (const type of [
      "text",
      "text/",
      "/plain",
      "text/plain\r\nx-evil: 1",
      "a b/c",
      `text/${"x".repeat(300)}`,
    ]) {
      expect(isValidContentType(type), type).toBe(false);
    }
    expect(() => validateContentType("nope")).toThrow(InvalidOptionError);
  });
});
