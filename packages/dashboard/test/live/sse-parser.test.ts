import { describe, expect, it } from "vitest";
import { type SseMessage, SseParser } from "../../src/live/sse-parser.js";

function collect(initialId = "") {
  const messages: SseMessage[] = [];
  const retries: number[] = [];
  const ids: string[] = [];
  const parser = new SseParser(
    {
      onMessage: (message) => messages.push(message),
      onRetry: (ms) => retries.push(ms),
      onLastEventId: (id) => ids.push(id),
    },
    initialId,
  );
  return { parser, messages, retries, ids };
}

describe("SseParser", () => {
  it("dispatches named events with their id and data", () => {
    const { parser, messages } = collect();
    parser.push('event: job\nid: 1-0\ndata: {"a":1}\n\n');
    expect(messages).toEqual([{ event: "job", data: '{"a":1}', lastEventId: "1-0" }]);
  });

  it("treats \\r\\n, \\r and \\n alike, also when \\r\\n is split across chunks", () => {
    const { parser, messages } = collect();
    parser.push("data: one\r\n\r\ndata: two\r\rdata: three\r");
    parser.push("\n\r\n");
    expect(messages.map((message) => message.data)).toEqual(["one", "two", "three"]);
  });

  it("reassembles fields split at any byte boundary", () => {
    const text = "event: job\nid: 7-1\ndata: hello\ndata: world\n\n";
    for (let cut = 1; cut < text.length; cut++) {
      const { parser, messages } = collect();
      parser.push(text.slice(0, cut));
      parser.push(text.slice(cut));
      expect(messages).toEqual([{ event: "job", data: "hello\nworld", lastEventId: "7-1" }]);
    }
  });

  it("joins multi-line data with \\n and strips one leading space only", () => {
    const { parser, messages } = collect();
    parser.push("data:  two spaces\ndata:none\n\n");
    expect(messages[0]?.data).toBe(" two spaces\nnone");
  });

  it("ignores comments (heartbeats) and a leading BOM", () => {
    const { parser, messages } = collect();
    parser.push("\uFEFF: heartbeat\n\ndata: x\n\n");
    expect(messages.map((message) => message.data)).toEqual(["x"]);
  });

  it("defaults the event name to message and ignores unknown fields", () => {
    const { parser, messages } = collect();
    parser.push("foo: bar\ndata: y\n\n");
    expect(messages).toEqual([{ event: "message", data: "y", lastEventId: "" }]);
  });

  it("keeps the last event id across messages and updates it from an id-only block", () => {
    const { parser, messages, ids } = collect("0-0");
    parser.push("id: 5-0\ndata: a\n\ndata: b\n\n: heartbeat\nid: 9-0\n\n");
    expect(messages.map((message) => message.lastEventId)).toEqual(["5-0", "5-0"]);
    expect(ids).toEqual(["5-0", "9-0"]);
    expect(parser.currentLastEventId).toBe("9-0");
  });

  it("ignores an id containing NUL", () => {
    const { parser } = collect("1-0");
    parser.push("id: bad\0id\ndata: z\n\n");
    expect(parser.currentLastEventId).toBe("1-0");
  });

  it("reports a numeric retry and ignores others", () => {
    const { parser, retries } = collect();
    parser.push("retry: 3000\n\nretry: soon\n\nretry: 12a\n\n");
    expect(retries).toEqual([3000]);
  });

  it("does not dispatch a block without data, and drops a half block on reset", () => {
    const { parser, messages } = collect();
    parser.push("event: ready\n\n");
    parser.push("event: job\ndata: partial");
    parser.reset();
    parser.push("data: after\n\n");
    expect(messages).toEqual([{ event: "message", data: "after", lastEventId: "" }]);
  });

  it("dispatches an empty data field as an empty string", () => {
    const { parser, messages } = collect();
    parser.push("event: ready\ndata\n\n");
    expect(messages).toEqual([{ event: "ready", data: "", lastEventId: "" }]);
  });
});
