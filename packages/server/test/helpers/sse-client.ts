/**
 * A streaming SSE client for tests: a real HTTP connection (http.get, no agent) whose body is
 * parsed as it arrives, following the text/event-stream rules (id-only messages move the last
 * event id; comments are kept apart). It can stop reading (pause) to play a slow client.
 */
import { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, get } from "node:http";

export interface SseMessage {
  readonly event: string;
  readonly id: string;
  readonly data: string;
}

/** Upper bound on any wait: a guard against a hung test, never a timing assertion. */
const WAIT_LIMIT_MS = 15_000;

export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  /** The last event id, as an EventSource would send it back on reconnect. */
  lastEventId = "";
  retry: number | undefined;
  ended = false;
  private buffer = "";
  private event = "";
  private data: string[] = [];
  private id: string | undefined;
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly request: ClientRequest,
    readonly response: IncomingMessage,
  ) {
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      this.feed(chunk);
    });
    const finish = (): void => {
      this.ended = true;
      this.notify();
    };
    response.on("end", finish);
    response.on("close", finish);
    response.on("error", finish);
  }

  /**
   * Opens a stream; resolves with the response started (whatever its status). `localAddress`
   * (another 127.x address) makes the client a different client to the server.
   */
  static open(url: string, headers: Record<string, string> = {}, localAddress?: string): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const options = {
        agent: false as const,
        headers: { accept: "text/event-stream", ...headers },
        ...(localAddress === undefined ? {} : { localAddress }),
      };
      const request = get(url, options, (response) => {
        resolve(new SseClient(request, response));
      });
      request.on("error", reject);
    });
  }

  get status(): number {
    return this.response.statusCode ?? 0;
  }

  get headers(): IncomingHttpHeaders {
    return this.response.headers;
  }

  /** The whole body of a non-stream answer (the error envelope), parsed. */
  async json(): Promise<unknown> {
    await this.until(() => this.ended);
    return JSON.parse(this.buffer) as unknown;
  }

  ofType(event: string): SseMessage[] {
    return this.messages.filter((message) => message.event === event);
  }

  /** Resolves once `condition` holds (re-checked on every message and at the end). */
  async until(condition: () => boolean, what = "condition"): Promise<void> {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (!condition()) {
      if (this.ended && !condition()) {
        // Nothing more will arrive.
        throw new Error(`stream ended before ${what}; got ${JSON.stringify(this.messages.slice(-5))}`);
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for `count` messages of the event type and returns them. */
  async take(event: string, count: number): Promise<SseMessage[]> {
    await this.until(() => this.ofType(event).length >= count, `${count} '${event}' messages`);
    return this.ofType(event);
  }

  /** Resolves when the server has ended the stream. */
  async closedByServer(): Promise<void> {
    await this.until(() => this.ended, "the end of the stream");
  }

  pause(): void {
    this.response.pause();
  }

  resume(): void {
    this.response.resume();
  }

  close(): void {
    this.request.destroy();
    this.response.destroy();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  private feed(chunk: string): void {
    if (this.status !== 200) {
      this.buffer += chunk;
      return;
    }
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      const breakLength = this.buffer.startsWith("\r\n", newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + breakLength);
      this.line(line);
    }
    this.notify();
  }

  private line(line: string): void {
    if (line === "") {
      if (this.id !== undefined) this.lastEventId = this.id;
      if (this.data.length > 0) {
        this.messages.push({
          event: this.event || "message",
          id: this.lastEventId,
          data: this.data.join("\n"),
        });
      }
      this.event = "";
      this.data = [];
      this.id = undefined;
      return;
    }
    if (line.startsWith(":")) {
      this.comments.push(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id") this.id = value;
    else if (field === "retry") this.retry = Number(value);
  }
}
