/**
 * Background cleanup of stream consumer groups, run by one worker at a time (a short lock):
 * consumers idle for longer than `consumerIdleMs` that own no entries are deleted, groups other
 * than ours that own no entries are destroyed, and dead-letter sets are trimmed to their
 * retention. A consumer that still owns entries is never deleted: that would lose its jobs.
 */
import { CONSUMER_GROUP, type FunctionKeys, type NamespaceKeys } from "@upnext/core";
import type { Redis } from "ioredis";
import type { Logger } from "../observability/logger.js";

export interface StreamSweepOptions {
  readonly redis: Redis;
  readonly keys: NamespaceKeys;
  readonly functionKeys: (fn: string) => FunctionKeys;
  readonly knownFunctions: () => Promise<string[]>;
  readonly workerId: string;
  readonly intervalMs: number;
  readonly consumerIdleMs: number;
  readonly deadLetterRetentionMs: number;
  readonly logger: Logger;
}

export interface HousekeepingReport {
  consumersDeleted: number;
  groupsDestroyed: number;
  deadLettersTrimmed: number;
}

function fieldsOf(row: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  if (!Array.isArray(row)) return map;
  for (let i = 0; i + 1 < row.length; i += 2) map.set(String(row[i]), row[i + 1]);
  return map;
}

export class StreamSweep {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: StreamSweepOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.runIfLeader().catch((error: unknown) => {
        this.options.logger.warn({ err: String(error) }, "housekeeping failed");
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs a pass if no other worker holds the housekeeping lock. */
  async runIfLeader(): Promise<HousekeepingReport | undefined> {
    const { redis, keys, workerId, intervalMs } = this.options;
    const acquired = await redis.set(keys.housekeepingLock, workerId, "PX", intervalMs, "NX");
    if (acquired !== "OK") return undefined;
    return this.run();
  }

  async run(now: number = Date.now()): Promise<HousekeepingReport> {
    const { redis, functionKeys, consumerIdleMs, deadLetterRetentionMs, logger } = this.options;
    const report: HousekeepingReport = { consumersDeleted: 0, groupsDestroyed: 0, deadLettersTrimmed: 0 };
    for (const fn of await this.options.knownFunctions()) {
      const keys = functionKeys(fn);
      report.deadLettersTrimmed += await redis.zremrangebyscore(
        keys.deadLetter,
        "-inf",
        now - deadLetterRetentionMs,
      );
      let groups: unknown[];
      try {
        groups = (await redis.xinfo("GROUPS", keys.stream)) as unknown[];
      } catch {
        continue; // no stream yet
      }
      for (const row of groups) {
        const group = fieldsOf(row);
        const name = String(group.get("name"));
        const pending = Number(group.get("pending") ?? 0);
        if (name !== CONSUMER_GROUP) {
          if (pending === 0) {
            await redis.xgroup("DESTROY", keys.stream, name);
            report.groupsDestroyed++;
            logger.info({ function: fn, group: name }, "destroyed a stale consumer group");
          }
          continue;
        }
        const consumers = (await redis.xinfo("CONSUMERS", keys.stream, name)) as unknown[];
        for (const consumerRow of consumers) {
          const consumer = fieldsOf(consumerRow);
          const consumerName = String(consumer.get("name"));
          if (Number(consumer.get("pending") ?? 0) > 0) continue;
          if (Number(consumer.get("idle") ?? 0) < consumerIdleMs) continue;
          await redis.xgroup("DELCONSUMER", keys.stream, name, consumerName);
          report.consumersDeleted++;
        }
      }
    }
    return report;
  }
}
