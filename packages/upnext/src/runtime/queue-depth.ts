/**
 * Samples the depth of the worker's queues on a timer: one pipeline of XLEN/ZCARD per function
 * (no SCAN, nothing per scrape), so a scrape or `worker.metrics()` reads the last sample.
 */
import type { FunctionKeys } from "@upnext/core";
import type { Redis } from "ioredis";
import type { Logger } from "./logger.js";
import { RateLimitedLog } from "./logger.js";

export interface QueueDepth {
  /** Waiting to be claimed: the stream (approximate: includes wake markers of priority jobs) and the priority set. */
  readonly ready: number;
  /** Delayed, retrying or put off by a rate limit. */
  readonly scheduled: number;
  /** DAG children waiting for their parents. */
  readonly waiting: number;
  /** Claimed by a worker (any worker): running, prefetched or finishing. */
  readonly leased: number;
  /** In the dead-letter set. */
  readonly deadLettered: number;
}

export interface QueueDepthSample {
  /** When the sample was taken (epoch ms). */
  readonly at: number;
  readonly functions: Readonly<Record<string, QueueDepth>>;
}

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
  latest: QueueDepthSample | null = null;
  /** Samples that failed on a Redis error. */
  failures = 0;

  constructor(private readonly options: QueueDepthSamplerOptions) {}

  start(): void {
    if (this.timer) return;
    void this.sampleNow();
    this.timer = setInterval(() => void this.sampleNow(), this.options.intervalMs);
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
    const pipeline = redis.pipeline();
    for (const fn of functions) {
      const keys = keysOf(fn);
      pipeline
        .xlen(keys.stream)
        .zcard(keys.priority)
        .zcard(keys.scheduled)
        .zcard(keys.waiting)
        .zcard(keys.leases)
        .zcard(keys.deadLetter);
    }
    try {
      const replies = (await pipeline.exec()) ?? [];
      const failed = replies.find(([error]) => error !== null)?.[0];
      if (failed) throw failed;
      const at = Date.now();
      const out: Record<string, QueueDepth> = {};
      functions.forEach((fn, index) => {
        const value = (offset: number): number => Number(replies[index * 6 + offset]?.[1] ?? 0);
        out[fn] = {
          ready: value(0) + value(1),
          scheduled: value(2),
          waiting: value(3),
          leased: value(4),
          deadLettered: value(5),
        };
      });
      this.latest = { at, functions: out };
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
