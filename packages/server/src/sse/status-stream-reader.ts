/**
 * The hub's one reader of the status stream: XREAD BLOCK on a connection of its own, from the
 * stream's end at start (`$`, pinned to a concrete id so a reconnect cannot skip anything), then
 * from the last id it read. Decoded entries go to the ring and to `onEntries`.
 *
 * The connection (a duplicate of the server's) differs from the command connection on purpose:
 * - `commandTimeout: undefined`: a blocking read legitimately waits STATUS_READ_BLOCK_MS.
 * - `enableOfflineQueue: true`, `maxRetriesPerRequest: null`: while Redis is away the pending
 *   XREAD waits in ioredis's queue and is re-sent on reconnect with the same last id, so the
 *   read resumes exactly where it stopped (nothing lost, as the stream retains its entries) and
 *   the loop does not spin on errors during an outage. The outage itself is reported from the
 *   connection's close/ready events, which is what the subscribers' error/ready events follow.
 * - `socketTimeout`: a half-open socket (no FIN, no RST) is noticed and replaced.
 */
import type { Redis } from "ioredis";
import { isRedisOutage } from "../connections/outage-errors.js";
import type { EventRing } from "./event-ring.js";
import type { HubLogger } from "./hub-logger.js";
import { type StatusEntry, decodeStatusEntry } from "./status-entries.js";
import { STATUS_READ_ERROR_BACKOFF_MS, STATUS_SOCKET_TIMEOUT_MS } from "./sse-limits.js";

export interface StatusStreamReaderOptions {
  readonly redis: Redis;
  readonly key: string;
  readonly ring: EventRing<StatusEntry>;
  readonly blockMs: number;
  readonly count: number;
  readonly logger: HubLogger;
  readonly onEntries: (entries: readonly StatusEntry[]) => void;
  /** Called when the reader's connection goes down or comes back (and has a position). */
  readonly onAvailability: (up: boolean) => void;
}

/** Options for the reader's own connection; see the file comment for why each differs. */
export function statusReaderConnectionOptions(connectionName: string) {
  return {
    commandTimeout: undefined,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    autoResendUnfulfilledCommands: true,
    socketTimeout: STATUS_SOCKET_TIMEOUT_MS,
    connectionName,
  };
}

export class StatusStreamReader {
  private lastId: string | undefined;
  private stopped = false;
  private connected = false;
  private up = false;
  private loopDone: Promise<void> | undefined;
  /** Settles on stop(): the loop races every command against it (see stop()). */
  private readonly halt: Promise<undefined>;
  private release: () => void = () => undefined;
  /** Entries read that were not valid status events (skipped). */
  skipped = 0;

  constructor(private readonly options: StatusStreamReaderOptions) {
    const { redis } = options;
    redis.on("error", () => undefined);
    redis.on("close", () => {
      this.connected = false;
      this.updateAvailability();
    });
    redis.on("ready", () => {
      this.connected = true;
      this.updateAvailability();
    });
    this.connected = redis.status === "ready";
    this.halt = new Promise((resolve) => {
      this.release = () => {
        resolve(undefined);
      };
    });
  }

  /** The id of the last entry read: every entry up to it has been handed to `onEntries`. */
  get position(): string | undefined {
    return this.lastId;
  }

  /** Read through a getter: `stopped` changes while the loop awaits. */
  private get halted(): boolean {
    return this.stopped;
  }

  get isUp(): boolean {
    return this.up;
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  /**
   * Ends the loop at once. A command waiting in the offline queue of a connection that is
   * between reconnect attempts is never settled by disconnect() (ioredis only flushes that queue
   * on a close event, and a socket already closed sends none), so the loop stops waiting for it
   * rather than holding the server's shutdown until Redis returns.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.release();
    this.options.redis.disconnect();
    await this.loopDone;
  }

  /** The command's reply, or undefined once stopped. */
  private unlessStopped<T>(command: Promise<T>): Promise<T | undefined> {
    // The abandoned command's rejection (the connection was closed) is nobody's concern.
    command.catch(() => undefined);
    return Promise.race([command, this.halt]);
  }

  private updateAvailability(): void {
    // A shutdown is not an outage: subscribers are closed, not told Redis went away.
    if (this.stopped) return;
    const up = this.connected && this.lastId !== undefined;
    if (up === this.up) return;
    this.up = up;
    this.options.onAvailability(up);
  }

  private async loop(): Promise<void> {
    const { redis, key, count, blockMs } = this.options;
    while (!this.stopped) {
      try {
        if (this.lastId === undefined) {
          // `$` resolved once: the newest entry now (or the start of an empty stream).
          const newest = await this.unlessStopped(redis.xrevrange(key, "+", "-", "COUNT", 1));
          if (newest === undefined) return;
          this.lastId = newest[0]?.[0] ?? "0-0";
          this.options.ring.reset(this.lastId);
          this.updateAvailability();
          continue;
        }
        const reply = await this.unlessStopped(
          redis.xread("COUNT", count, "BLOCK", blockMs, "STREAMS", key, this.lastId),
        );
        if (this.halted) return;
        const raw = reply?.[0]?.[1] ?? [];
        if (raw.length === 0) continue;
        const entries: StatusEntry[] = [];
        for (const item of raw) {
          const entry = decodeStatusEntry(item);
          if (entry === undefined) this.skipped += 1;
          else {
            this.options.ring.push(entry);
            entries.push(entry);
          }
        }
        this.lastId = raw[raw.length - 1]?.[0] ?? this.lastId;
        if (entries.length > 0) this.options.onEntries(entries);
      } catch (error) {
        if (this.halted) return;
        // An outage is reported by the connection events; anything else (a key of the wrong
        // type, say) is logged and retried after a pause rather than in a tight loop.
        if (!isRedisOutage(error)) this.options.logger.warn({ err: error }, "status stream read failed");
        await new Promise((resolve) => setTimeout(resolve, STATUS_READ_ERROR_BACKOFF_MS));
      }
    }
  }
}
