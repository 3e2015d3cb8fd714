/**
 * The status stream as the status publisher writes to it: one script call per batch, and the
 * backoff after failed writes. Batches from the in-memory buffer and batches moved back from the
 * spill list share that backoff, because they fail and recover with the same stream.
 */
import type { Redis } from "ioredis";
import { STATUS_EVENT_FIELD } from "@upnext/core";
import { defineScripts, runScript } from "../../backend/redis/scripts.js";
import type { Logger, RateLimitedLog } from "../observability/logger.js";

const MAX_RETRY_DELAY_MS = 5_000;

export interface StatusStreamOptions {
  readonly redis: Redis;
  /** namespaceKeys(ns).events */
  readonly key: string;
  /** MAXLEN ~ of the stream. */
  readonly maxLen: number;
  /** Backoff after the first failed write; doubled per further failure, capped at 5 s. */
  readonly retryDelayMs: number;
  readonly logger: Logger;
  /** Shared with the publisher, which rate-limits its other warnings with it too. */
  readonly warnings: RateLimitedLog;
  /** Events waiting in the publisher's buffer, for log lines. */
  readonly buffered: () => number;
}

export class StatusStream {
  private readonly redis: Redis;
  private readonly key: string;
  private readonly maxLen: number;
  private readonly retryDelayMs: number;
  private readonly logger: Logger;
  private readonly warnings: RateLimitedLog;
  private readonly buffered: () => number;
  /** Failures since the last successful write; they set the backoff. */
  private failures = 0;
  private failedWrites = 0;

  constructor(options: StatusStreamOptions) {
    this.redis = options.redis;
    defineScripts(this.redis);
    this.key = options.key;
    this.maxLen = options.maxLen;
    this.retryDelayMs = options.retryDelayMs;
    this.logger = options.logger;
    this.warnings = options.warnings;
    this.buffered = options.buffered;
  }

  /** Failed write attempts (one per failed pipeline, not per event). */
  get writeErrors(): number {
    return this.failedWrites;
  }

  /** Writes events in one script call; per-event outcomes (all the same: the batch is all-or-nothing). */
  async append(jsons: readonly string[]): Promise<(Error | null)[]> {
    try {
      await runScript(this.redis, "append-events", [this.key], [this.maxLen, STATUS_EVENT_FIELD, ...jsons]);
      return jsons.map(() => null);
    } catch (error) {
      const failure = asError(error);
      return jsons.map(() => failure);
    }
  }

  writeFailed(error: Error, what: string): void {
    this.failedWrites += 1;
    this.failures += 1;
    if (this.warnings.shouldLog("write")) {
      this.logger.warn(
        {
          err: error,
          buffered: this.buffered(),
          writeErrors: this.failedWrites,
          retryInMs: this.retryDelay(),
        },
        `Could not ${what}; the status stream is not writable, retrying with backoff`,
      );
    }
  }

  writeSucceeded(): void {
    if (this.failures > 0) {
      this.logger.info({ buffered: this.buffered() }, "Status stream is writable again");
    }
    this.failures = 0;
  }

  /** A failure that is not a failed write (the write loop itself threw): backs off without counting one. */
  loopFailed(): void {
    this.failures += 1;
  }

  retryDelay(): number {
    const exponent = Math.min(Math.max(this.failures - 1, 0), 30);
    return Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2 ** exponent);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
