import { describe, expect, it } from "vitest";
import { formatLogLine, prettyDestination, resolveLogFormat } from "../src/index.js";

const line = (fields: Record<string, unknown>) =>
  JSON.stringify({
    level: 40,
    time: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
    pid: 1,
    hostname: "h",
    name: "upnext",
    ...fields,
  });

describe("resolveLogFormat", () => {
  it("reads a terminal as pretty and anything else as JSON under auto", () => {
    expect(resolveLogFormat("auto", true)).toBe("pretty");
    expect(resolveLogFormat("auto", false)).toBe("json");
    expect(resolveLogFormat("auto", undefined)).toBe("json");
  });
  it("keeps an explicit choice whatever the stream", () => {
    expect(resolveLogFormat("json", true)).toBe("json");
    expect(resolveLogFormat("pretty", false)).toBe("pretty");
    expect(resolveLogFormat("ecs", true)).toBe("ecs");
  });
});

describe("formatLogLine", () => {
  it("prints time, level, name, message and the other fields", () => {
    const text = formatLogLine(line({ msg: "alert firing", rule: "dead_letter_growth", count: 3 }), {
      colour: false,
    });
    expect(text).toBe("03:04:05.006 WARN  upnext alert firing  rule=dead_letter_growth count=3");
  });
  it("quotes string values with spaces, and puts an error's stack on lines of its own", () => {
    const text = formatLogLine(
      line({
        level: 50,
        msg: "failed",
        reason: "two words",
        err: { type: "Error", message: "x", stack: "Error: x\n    at f (a.ts:1)" },
      }),
      { colour: false },
    );
    const [head, ...stack] = text.split("\n");
    expect(head).toBe(
      '03:04:05.006 ERROR upnext failed  reason="two words" err={"type":"Error","message":"x"}',
    );
    expect(stack).toEqual(["    Error: x", "    at f (a.ts:1)"]);
  });
  it("reads ECS lines and leaves non-JSON text alone", () => {
    const ecs = JSON.stringify({
      "log.level": "info",
      "@timestamp": "2026-01-02T03:04:05.006Z",
      message: "listening",
    });
    expect(formatLogLine(ecs, { colour: false })).toBe("03:04:05.006 INFO  listening");
    expect(formatLogLine("plain text\n", { colour: false })).toBe("plain text");
  });
  it("colours only when asked", () => {
    expect(formatLogLine(line({ msg: "m" }), { colour: true })).toContain("\u001b[33mWARN \u001b[0m");
    expect(formatLogLine(line({ msg: "m" }), { colour: false })).not.toContain("\u001b[");
  });
});

describe("prettyDestination", () => {
  it("colours a terminal unless NO_COLOR, never a pipe", () => {
    const written: string[] = [];
    const stream = (isTTY: boolean) => ({ isTTY, write: (text: string) => written.push(text) });
    prettyDestination(stream(true), false).write(line({ msg: "a" }));
    prettyDestination(stream(true), true).write(line({ msg: "b" }));
    prettyDestination(stream(false), false).write(line({ msg: "c" }));
    expect(written.map((text) => text.includes("\u001b["))).toEqual([true, false, false]);
    expect(written.every((text) => text.endsWith("\n"))).toBe(true);
  });
});
