import { describe, expect, it } from "vitest";
import {
  InvalidOptionError,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  isValidName,
  newJobId,
  normalizeIdempotencyKey,
  validateJobId,
  validateName,
} from "../src/index.js";
import { catchError } from "./catch-error.js";

describe("validateName", () => {
  it.each(["a", "send-email", "billing.invoice:create", "v2_sync", "9lives", "A".repeat(128)])(
    "accepts %j",
    (name) => {
      expect(validateName("task name", name)).toBe(name);
      expect(isValidName(name)).toBe(true);
    },
  );

  it.each([
    "",
    "-leading-dash",
    ".hidden",
    "_private",
    ":colon",
    "has space",
    "tab\there",
    "brace{tag}",
    "star*",
    "question?",
    "slash/name",
    "new\nline",
    "émail",
    "A".repeat(129),
  ])("rejects %j", (name) => {
    const error = catchError(InvalidOptionError, () => validateName("task name", name));
    expect(error.option).toBe("task name");
    expect(error.message).toContain("task name");
    expect(isValidName(name)).toBe(false);
  });

  it("rejects non-strings, naming the option", () => {
    const values: unknown[] = [undefined, null, 42, {}, ["a"]];
    for (const value of values) {
      expect(catchError(InvalidOptionError, () => validateName("namespace", value)).option).toBe("namespace");
    }
  });
});

describe("validateJobId", () => {
  it.each(["a", "job_1", "order-42", "A".repeat(64)])("accepts %j", (id) => {
    expect(validateJobId(id)).toBe(id);
  });

  it("accepts the ids newJobId makes", () => {
    const id = newJobId();
    expect(validateJobId(id)).toBe(id);
  });

  it.each(["", "A".repeat(65), "has space", "a:b", "a.b", "a{b}", "a/b", "ü"])("rejects %j", (id) => {
    const error = catchError(InvalidOptionError, () => validateJobId(id));
    expect(error.option).toBe("jobId");
    expect(error.value).toBe(id);
  });

  it("rejects non-strings", () => {
    const values: unknown[] = [undefined, null, 123, {}];
    for (const value of values) {
      expect(() => validateJobId(value)).toThrow(InvalidOptionError);
    }
  });
});

describe("normalizeIdempotencyKey", () => {
  it("trims blanks and changes nothing else", () => {
    expect(normalizeIdempotencyKey("  order-42  ")).toBe("order-42");
    expect(normalizeIdempotencyKey("\tOrder 42 / Ünïcode\n")).toBe("Order 42 / Ünïcode");
    expect(normalizeIdempotencyKey("MiXeD")).toBe("MiXeD");
  });

  it("accepts exactly 256 characters, after trimming", () => {
    expect(MAX_IDEMPOTENCY_KEY_LENGTH).toBe(256);
    const key = "k".repeat(256);
    expect(normalizeIdempotencyKey(key)).toBe(key);
    expect(normalizeIdempotencyKey(`   ${key}   `)).toBe(key);
  });

  it("rejects 257 characters, with a short rendering of the key in the message", () => {
    const error = catchError(InvalidOptionError, () => normalizeIdempotencyKey("k".repeat(257)));
    expect(error.option).toBe("idempotencyKey");
    expect(error.message).toContain("257 characters");
    expect(error.message).toContain("at most 256");
    expect(error.message.length).toBeLessThan(300);
  });

  it.each(["", " ", "\t\n  "])("rejects the empty or blank key %j", (key) => {
    const error = catchError(InvalidOptionError, () => normalizeIdempotencyKey(key));
    expect(error.option).toBe("idempotencyKey");
    expect(error.message).toContain("empty or blank");
  });

  it("rejects non-strings", () => {
    const values: unknown[] = [undefined, null, 42, true, {}, ["key"]];
    for (const value of values) {
      const error = catchError(InvalidOptionError, () => normalizeIdempotencyKey(value));
      expect(error.option).toBe("idempotencyKey");
      expect(error.message).toContain("must be a string");
    }
  });
});
