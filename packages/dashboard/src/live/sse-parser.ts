/**
 * An incremental text/event-stream parser following the HTML specification's rules: `\r\n`,
 * `\n` and `\r` line endings (also split across chunks), a leading BOM, comments, multi-line
 * `data`, `event`, `id` (ignored when it contains NUL; kept across messages as the
 * Last-Event-ID) and `retry`. An id-only block moves the last event id without dispatching.
 */

export interface SseMessage {
  /** `message` when the block had no `event:` field. */
  readonly event: string;
  readonly data: string;
  /** The last event id in force after this message (what a reconnect sends back). */
  readonly lastEventId: string;
}

export interface SseParserCallbacks {
  onMessage(message: SseMessage): void;
  /** A valid `retry:` field: the reconnection delay the server asks for. */
  onRetry?(ms: number): void;
  /** The last event id changed (also by an id-only block, e.g. a heartbeat with an id). */
  onLastEventId?(id: string): void;
}

const BOM = "\uFEFF";

export class SseParser {
  private buffer = "";
  private started = false;
  private skipLineFeed = false;
  private data: string[] = [];
  private eventType = "";
  private lastEventId: string;
  private sawField = false;

  constructor(
    private readonly callbacks: SseParserCallbacks,
    initialLastEventId = "",
  ) {
    this.lastEventId = initialLastEventId;
  }

  get currentLastEventId(): string {
    return this.lastEventId;
  }

  push(chunk: string): void {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith(BOM)) text = text.slice(1);
    }
    if (this.skipLineFeed && text.startsWith("\n")) text = text.slice(1);
    this.skipLineFeed = false;
    this.buffer += text;
    let start = 0;
    for (let index = 0; index < this.buffer.length; index++) {
      const char = this.buffer[index];
      if (char !== "\n" && char !== "\r") continue;
      this.line(this.buffer.slice(start, index));
      if (char === "\r") {
        if (index + 1 < this.buffer.length) {
          if (this.buffer[index + 1] === "\n") index += 1;
        } else {
          // The \n of a \r\n may arrive with the next chunk.
          this.skipLineFeed = true;
        }
      }
      start = index + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** Forgets a half-received block (the connection ended mid-message). */
  reset(): void {
    this.buffer = "";
    this.skipLineFeed = false;
    this.started = false;
    this.clearBlock();
  }

  private clearBlock(): void {
    this.data = [];
    this.eventType = "";
    this.sawField = false;
  }

  private line(line: string): void {
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        this.sawField = true;
        break;
      case "event":
        this.eventType = value;
        this.sawField = true;
        break;
      case "id":
        if (!value.includes("\0")) {
          this.lastEventId = value;
          this.callbacks.onLastEventId?.(value);
        }
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.callbacks.onRetry?.(Number(value));
        break;
      default:
        // Unknown fields are ignored, as the specification says.
        break;
    }
  }

  private dispatch(): void {
    const hasData = this.data.length > 0;
    const eventType = this.eventType;
    const data = this.data.join("\n");
    const sawField = this.sawField;
    this.clearBlock();
    if (!hasData || !sawField) return;
    this.callbacks.onMessage({
      event: eventType === "" ? "message" : eventType,
      data,
      lastEventId: this.lastEventId,
    });
  }
}
