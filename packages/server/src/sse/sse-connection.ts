/**
 * One live response. Writes go straight to the socket; what the socket has not taken yet queues
 * in the server, and that queue is bounded: a client whose queue stays over `maxBufferedBytes`
 * without emptying for `graceMs` (or grows past the hard bound) is disconnected; it reconnects
 * and resumes by Last-Event-ID instead of being buffered for without end.
 */
import type { ServerResponse } from "node:http";
import type { SseFrame } from "./sse-frame.js";

/** Why a connection ended: the client left, it was too slow, or the server closed it. */
export type CloseReason = "client" | "slow" | "server";

export interface SseConnectionOptions {
  readonly maxBufferedBytes: number;
  readonly graceMs: number;
  readonly hardMaxBufferedBytes: number;
  readonly onClose: (reason: CloseReason) => void;
}

export class SseConnection {
  /** When the queue was last empty (a write the socket took at once, or a 'drain'). */
  private drainedAt = Date.now();
  private closedFor: CloseReason | undefined;

  constructor(
    private readonly response: ServerResponse,
    private readonly options: SseConnectionOptions,
  ) {
    response.on("close", () => {
      this.finish("client");
    });
    response.on("drain", () => {
      this.drainedAt = Date.now();
    });
  }

  get isOpen(): boolean {
    return this.closedFor === undefined;
  }

  /** Queues a frame; false when the connection is closed (or was just dropped for being slow). */
  write(frame: SseFrame): boolean {
    if (this.closedFor !== undefined) return false;
    const queued = this.response.writableLength + frame.bytes;
    const { maxBufferedBytes, hardMaxBufferedBytes, graceMs } = this.options;
    // A single frame always goes out on an empty queue, however large.
    const overBound = this.response.writableLength > 0 && queued > maxBufferedBytes;
    if (overBound && (queued > hardMaxBufferedBytes || Date.now() - this.drainedAt > graceMs)) {
      this.finish("slow");
      this.response.destroy();
      return false;
    }
    if (this.response.write(frame.text)) this.drainedAt = Date.now();
    return true;
  }

  /** Ends the response (server shutdown); a client that is not reading is cut off at once. */
  close(): void {
    if (this.closedFor !== undefined) return;
    this.finish("server");
    if (this.response.writableLength > 0) this.response.destroy();
    else this.response.end();
  }

  private finish(reason: CloseReason): void {
    if (this.closedFor !== undefined) return;
    this.closedFor = reason;
    this.options.onClose(reason);
  }
}
