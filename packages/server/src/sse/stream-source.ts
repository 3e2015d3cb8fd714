/**
 * What the one SSE endpoint (StreamHub.serve) asks of every stream: open it before the response
 * starts (so a bad resume point, a dependency that is down or a failed first snapshot is still
 * answered in the error envelope), then start it on the live connection.
 */
import type { SseConnection } from "./sse-connection.js";

export interface LiveSubscription {
  /**
   * Sends what the client missed (a replay, a reset, a first snapshot) and starts delivering live
   * messages. Synchronous, so nothing arrives between the replay and the live feed.
   */
  start(connection: SseConnection): void;
  /** The id control messages (ready, error) carry: where this client resumes from. */
  position(): string;
  /** Whether heartbeats carry `position()` as an id (streams whose ids are stream positions). */
  readonly positionInHeartbeat: boolean;
  stop(): void;
}

export interface StreamSource {
  /** Shown in logs. */
  readonly name: string;
  /** Streams fed by the hub's Redis readers answer 503 while Redis is away. */
  readonly needsRedis: boolean;
  open(lastEventId: string | undefined): Promise<LiveSubscription>;
}
