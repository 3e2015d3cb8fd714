/**
 * The caps on live connections: a total per process (config.sseMaxConnections) and a share per
 * client (config.sseMaxPerClient). Over a cap the request is answered in the error envelope
 * before the stream starts: 429 for one client's share, 503 for the process total, both with
 * Retry-After.
 *
 * "Client" is the rate limiter's (http/rate-limit.ts clientKey): the token only when the server
 * checks tokens (an unchecked one would let anyone pick a fresh share per request).
 */
import { ApiError } from "../http/api-error.js";
import { SSE_CAP_RETRY_AFTER_S } from "./sse-limits.js";

export class ConnectionLimiter {
  private readonly perClient = new Map<string, number>();
  private count = 0;

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerClient: number,
  ) {}

  get total(): number {
    return this.count;
  }

  /** Takes a slot for the client or throws the envelope's error; the returned function gives it back once. */
  acquire(client: string): () => void {
    const retry = { "retry-after": String(SSE_CAP_RETRY_AFTER_S) };
    if (this.count >= this.maxTotal) {
      throw new ApiError(
        503,
        "too_many_connections",
        `The server holds its maximum of ${this.maxTotal} live connections (UPNEXT_SSE_MAX_CONNECTIONS); retry later.`,
        { limit: this.maxTotal, scope: "server" },
        retry,
      );
    }
    const held = this.perClient.get(client) ?? 0;
    if (held >= this.maxPerClient) {
      throw new ApiError(
        429,
        "too_many_connections",
        `This client already holds ${held} live connections, the most one client may (UPNEXT_SSE_MAX_PER_CLIENT); close one or retry later.`,
        { limit: this.maxPerClient, scope: "client" },
        retry,
      );
    }
    this.count += 1;
    this.perClient.set(client, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.count -= 1;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    };
  }
}
