// @vitest-environment node
/**
 * The SSE client against a real HTTP server on a free local port: what it sends, how it
 * resumes, how it backs off, and how it pauses while the page is hidden.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { VisibilitySource } from "../../src/live/page-visibility.js";
import { SseConnection, type StreamState } from "../../src/live/sse-connection.js";
import type { SseMessage } from "../../src/live/sse-parser.js";

const FAST_BACKOFF = { initialMs: 20, maxMs: 200, jitter: 0 };
const WAIT_MS = 5_000;

interface Hit {
  readonly headers: IncomingMessage["headers"];
  readonly response: ServerResponse;
}

let server: Server;
let baseUrl: string;
let hits: Hit[];
let handler: (request: IncomingMessage, response: ServerResponse) => void;
let connection: SseConnection | undefined;

function streamHeaders(response: ServerResponse): void {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  response.flushHeaders();
}

beforeEach(async () => {
  hits = [];
  handler = (_request, response) => {
    streamHeaders(response);
  };
  server = createServer((request, response) => {
    hits.push({ headers: request.headers, response });
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  connection?.stop();
  connection = undefined;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

class TestVisibility implements VisibilitySource {
  hidden = false;
  private readonly listeners = new Set<() => void>();
  isHidden = () => this.hidden;
  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  set(hidden: boolean): void {
    this.hidden = hidden;
    for (const listener of this.listeners) listener();
  }
}

function open(extra: Partial<ConstructorParameters<typeof SseConnection>[0]> = {}) {
  const messages: SseMessage[] = [];
  const states: StreamState[] = [];
  const opens: { reconnected: boolean; resumedFrom: string | undefined }[] = [];
  const failures: Error[] = [];
  connection = new SseConnection({
    url: () => `${baseUrl}/api/v1/events/stream`,
    headers: () => ({ authorization: "Bearer secret-token" }),
    onMessage: (message) => messages.push(message),
    onStateChange: (state) => states.push(state),
    onOpen: (info) => opens.push(info),
    onFailure: (error) => failures.push(error),
    backoff: FAST_BACKOFF,
    random: () => 0.5,
    visibility: new TestVisibility(),
    ...extra,
  });
  connection.start();
  return { messages, states, opens, failures };
}

describe("SseConnection", () => {
  it("sends the bearer token and reads named events", async () => {
    const { messages, states } = open();
    await until(() => hits.length === 1, "the request");
    expect(hits[0]?.headers.authorization).toBe("Bearer secret-token");
    expect(hits[0]?.headers.accept).toBe("text/event-stream");
    expect(hits[0]?.headers["last-event-id"]).toBeUndefined();
    hits[0]?.response.write(
      'event: job\nid: 1-0\ndata: {"n":1}\n\n: heartbeat\n\nevent: ready\ndata: {}\n\n',
    );
    await until(() => messages.length === 2, "two messages");
    expect(messages.map((message) => message.event)).toEqual(["job", "ready"]);
    expect(states).toContain("open");
  });

  it("reconnects after the server ends the stream, resuming from the last event id", async () => {
    const { opens } = open();
    await until(() => hits.length === 1, "the first request");
    hits[0]?.response.end("event: job\nid: 42-7\ndata: {}\n\n");
    await until(() => hits.length === 2, "the reconnect");
    expect(hits[1]?.headers["last-event-id"]).toBe("42-7");
    await until(() => opens.length === 2, "the second open");
    expect(opens).toEqual([
      { reconnected: false, resumedFrom: undefined },
      { reconnected: true, resumedFrom: "42-7" },
    ]);
  });

  it("backs off with growing delays while the server answers with errors", async () => {
    handler = (_request, response) => {
      response.writeHead(503, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          error: { code: "dependency_unavailable", message: "Redis is down", requestId: "r1" },
        }),
      );
    };
    const { failures, states } = open();
    await until(() => hits.length >= 4, "four attempts");
    expect(failures[0]?.message).toBe("Redis is down");
    expect(states).toContain("reconnecting");
    expect(states).not.toContain("open");
  });

  it("resets its backoff once a connection opens", async () => {
    let answer = 0;
    handler = (_request, response) => {
      answer += 1;
      if (answer <= 2) {
        response.writeHead(500).end();
        return;
      }
      streamHeaders(response);
    };
    const { opens } = open();
    await until(() => opens.length === 1, "an open after two failures");
    expect(hits.length).toBe(3);
  });

  it("closes while the page is hidden and resumes when it is shown", async () => {
    const visibility = new TestVisibility();
    const { states, opens } = open({ visibility });
    await until(() => hits.length === 1, "the first request");
    hits[0]?.response.write("event: job\nid: 9-0\ndata: {}\n\n");
    await until(() => connection?.currentLastEventId === "9-0", "the first event");
    visibility.set(true);
    expect(connection?.currentState).toBe("paused");
    await until(
      () => hits[0]?.response.closed === true || hits[0]?.response.destroyed === true,
      "the server to see the close",
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hits.length).toBe(1);
    visibility.set(false);
    await until(() => hits.length === 2, "the reopen");
    expect(hits[1]?.headers["last-event-id"]).toBe("9-0");
    await until(() => opens.length === 2, "the second open");
    expect(opens[1]?.reconnected).toBe(true);
    expect(states).toContain("paused");
  });

  it("does not connect at all while started hidden", async () => {
    const visibility = new TestVisibility();
    visibility.hidden = true;
    open({ visibility });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hits.length).toBe(0);
    expect(connection?.currentState).toBe("paused");
  });

  it("treats a stream that goes silent past the idle timeout as dead", async () => {
    const { opens } = open({ idleTimeoutMs: 150 });
    await until(() => hits.length === 1, "the first request");
    await until(() => hits.length === 2, "a reconnect after silence");
    await until(() => opens.length === 2, "the second open");
  });

  it("refuses a response that is not an event stream", async () => {
    handler = (_request, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end("<html>run npm run build</html>");
    };
    const { failures } = open();
    await until(() => failures.length >= 1, "a failure");
    expect(failures[0]?.message).toContain("Expected an event stream");
  });

  it("stops for good when stopped", async () => {
    const { states } = open();
    await until(() => hits.length === 1, "the request");
    connection?.stop();
    hits[0]?.response.end();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(hits.length).toBe(1);
    expect(states.at(-1)).toBe("closed");
  });
});
