/**
 * Samples the depth of the worker's queues on a timer (one pipeline of counts, see
 * backend/redis/queue-depths.ts; nothing per scrape), so a scrape or `worker.metrics()` reads the
 * last sample. The timer only samples while someone reads the samples (a read within
 * WATCHED_FOR_MS): a fleet of workers nobody scrapes costs Redis nothing here. A read that finds
 * the sample older than the interval returns it and takes a fresh one for the next read.
 */
import type { FunctionKeys } from "@upnext/core";
import type { Redis } from "ioredis";
import { type QueueDepth, readQueueDepths } from "../../backend/redis/queue-depths.js";
import type { Logger } from "./logger.js";
import { RateLimitedLog } from "./logger.js";

export interface QueueDepthSample {
  /** When the sample was taken (epoch ms). */
  readonly at: number;
  readonly functions: Readonly<Record<string, QueueDepth>>;
}

/** Samples keep being taken on the timer this long after the last read. */
export const WATCHED_FOR_MS = 5 * 60_000;

export interface QueueDepthSamplerOptions {
  readonly redis: Redis;
  readonly functions: readonly string[];
  readonly keysOf: (fn: string) => FunctionKeys;
  readonly intervalMs: number;
  readonly logger: Logger;
}

export class QueueDepthSampler {
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private readonly warnings = new RateLimitedLog(60_000);
  private last: QueueDepthSample | null = null;
  private readAt = Number.NEGATIVE_INFINITY;
  /** Samples that failed on a Redis error. */
  failures = 0;

  constructor(private readonly options: QueueDepthSamplerOptions) {}

  /** The last sample (null until the first one); reading it keeps the timer sampling. */
  get latest(): QueueDepthSample | null {
    const now = Date.now();
    this.readAt = now;
    if (this.timer && (this.last === null || now - this.last.at > this.options.intervalMs))
      void this.sampleNow();
    return this.last;
  }

  start(): void {
    if (this.timer) return;
    void this.sampleNow();
    this.timer = setInterval(() => {
      if (Date.now() - this.readAt <= WATCHED_FOR_MS) void this.sampleNow();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sampling;
  }

  /** Takes a sample now (one at a time: a call during a sample waits for that one). */
  sampleNow(): Promise<void> {
    this.sampling ??= this.sample().finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  private async sample(): Promise<void> {
    const { redis, functions, keysOf } = this.options;
    if (functions.length === 0) return;
    try {
      const depths = await readQueueDepths(redis, keysOf, functions);
      this.last = { at: Date.now(), functions: Object.fromEntries(depths) };
    } catch (error) {
      this.failures++;
      if (this.warnings.shouldLog("sample"))
        this.options.logger.warn(
          { err: String(error) },
          "sampling queue depth failed; keeping the last sample",
        );
    }
  }
}
