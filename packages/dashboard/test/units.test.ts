import { describe, expect, it } from "vitest";
import { initialFiles } from "../build-report.js";
import { formattersFor } from "../src/i18n/format.js";
import { preferredLanguage } from "../src/i18n/i18n.js";
import { de } from "../src/i18n/messages-de.js";
import { en } from "../src/i18n/messages-en.js";
import { validateJobsSearch } from "../src/pages/jobs/jobs-search.js";
import { normalizeJobFilters } from "../src/api/job-filters.js";
import { toQueryString } from "../src/api/http.js";
import { errorFromResponse } from "../src/api/api-error.js";

function keysOf(value: object, prefix = ""): string[] {
  return Object.entries(value).flatMap(([key, child]) =>
    typeof child === "object" && child !== null
      ? keysOf(child as object, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

describe("catalogs", () => {
  it("German has every English key and no other", () => {
    expect(keysOf(de).sort()).toEqual(keysOf(en).sort());
  });

  it("picks the saved language, else the browser's first supported one, else English", () => {
    expect(preferredLanguage("de", ["en-US"])).toBe("de");
    expect(preferredLanguage(null, ["fr-FR", "de-AT", "en"])).toBe("de");
    expect(preferredLanguage("xx", ["fr"])).toBe("en");
  });
});

describe("formatters", () => {
  it("format numbers and dates by locale", () => {
    expect(formattersFor("en").number(1234567.5)).toBe("1,234,567.5");
    expect(formattersFor("de").number(1234567.5)).toBe("1.234.567,5");
    expect(formattersFor("de").percent(0.987)).toMatch(/98,7\s?%/);
    expect(formattersFor("en").dateTime("2026-01-31T12:00:00.000Z")).toContain("2026");
    expect(formattersFor("en").dateTime("not a date")).toBe("—");
  });

  it("format durations in the largest sensible units", () => {
    const format = formattersFor("en");
    expect(format.duration(850)).toBe("850 ms");
    expect(format.duration(12_340)).toBe("12.3 sec");
    expect(format.duration(125_000)).toBe("2 min 5 sec");
    expect(format.duration(2 * 3_600_000 + 60_000)).toBe("2 hr 1 min");
    expect(format.duration(Number.NaN)).toBe("—");
  });

  it("format sizes and relative times", () => {
    const format = formattersFor("en");
    expect(format.bytes(512)).toBe("512 byte");
    expect(format.bytes(1_572_864)).toBe("1.5 MB");
    const now = Date.parse("2026-01-31T12:00:00.000Z");
    expect(format.relative("2026-01-31T11:55:00.000Z", now)).toBe("5 minutes ago");
  });
});

describe("jobs page URL filters", () => {
  it("keeps valid filters and drops unknown values", () => {
    expect(
      validateJobsSearch({
        function: " send-email ",
        status: "failed,bogus,active",
        kind: "nope,cron,event",
        from: "2026-01-01",
        q: "",
        tag: ["a:b"],
      }),
    ).toEqual({
      function: "send-email",
      status: ["failed", "active"],
      kind: ["cron", "event"],
      from: "2026-01-01T00:00:00.000Z",
      tag: ["a:b"],
    });
  });

  it("normalizes filters so equal filters make equal query keys", () => {
    expect(normalizeJobFilters({ status: ["failed", "active"], q: "", function: undefined })).toEqual({
      status: ["active", "failed"],
    });
  });

  it("repeats array parameters and skips empty ones", () => {
    expect(toQueryString({ status: ["a", "b"], q: "", limit: 50, cursor: undefined })).toBe(
      "?status=a&status=b&limit=50",
    );
  });
});

describe("API errors", () => {
  it("reads the server's envelope", () => {
    const error = errorFromResponse(
      400,
      "Bad Request",
      JSON.stringify({
        error: { code: "invalid_query", message: "status=foo is not one of …", requestId: "r-1" },
      }),
    );
    expect(error).toMatchObject({
      status: 400,
      code: "invalid_query",
      message: "status=foo is not one of …",
      requestId: "r-1",
    });
  });

  it("keeps a non-JSON body short and readable", () => {
    const error = errorFromResponse(502, "Bad Gateway", "<html>" + "x".repeat(1_000), "r-2");
    expect(error.message.length).toBeLessThan(260);
    expect(error.requestId).toBe("r-2");
  });
});

describe("build report", () => {
  it("counts the entry and its static imports, not lazy chunks", () => {
    const chunk = (fileName: string, isEntry: boolean, imports: string[]) => ({
      type: "chunk" as const,
      fileName,
      code: "",
      isEntry,
      imports,
    });
    const files = initialFiles([
      chunk("index.js", true, ["vendor.js"]),
      chunk("vendor.js", false, ["runtime.js"]),
      chunk("runtime.js", false, []),
      chunk("jobs-page.js", false, ["vendor.js"]),
    ]);
    expect([...files].sort()).toEqual(["index.js", "runtime.js", "vendor.js"]);
  });
});

describe("counts in messages", () => {
  it("are formatted for the language", async () => {
    const { i18next } = await import("../src/i18n/i18n.js");
    expect(i18next.getFixedT("en")("job.timelineCount", { count: 10_000 })).toBe("10,000 jobs in this tree");
    expect(i18next.getFixedT("de")("job.timelineCount", { count: 10_000 })).toBe(
      "10.000 Jobs in diesem Baum",
    );
    expect(i18next.getFixedT("en")("job.timelineCount", { count: 1 })).toBe("1 job in this tree");
  });
});
