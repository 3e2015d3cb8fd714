/**
 * The parent's own Redis connection, apart from the producers': machine info for the JSON, the
 * Redis CPU and fork counters around each measured phase, and deleting each run's keys.
 */
import os from "node:os";
import { Worker } from "upnext";
import { unlinkMatching } from "./redis-keys.js";
import type { BenchSystem } from "./shared.js";

export interface RedisCounters {
  readonly cpuS: number;
  readonly forks: number;
  /** Commands processed since the server started (a script call counts once). */
  readonly commands: number;
}

/** INFO commandstats: calls and total µs per command (scripts are `evalsha`/`eval`). */
export type CommandStats = ReadonlyMap<string, { readonly calls: number; readonly usec: number }>;

type AdminRedis = Worker["connection"]["redis"];

export class RedisAdmin {
  private readonly worker: Worker;
  /** The connection itself, for scripts that need other commands (redis-ceiling.ts). */
  readonly redis: AdminRedis;

  constructor(private readonly redisUrl: string) {
    // A Worker that is never started, used only for its Redis connection.
    this.worker = new Worker({
      name: "bench-admin",
      namespace: "bench-admin",
      redis: redisUrl,
      handleSignals: false,
    });
    this.redis = this.worker.connection.redis;
  }

  async counters(): Promise<RedisCounters> {
    const cpu = parseInfo(await this.redis.info("cpu"));
    const stats = parseInfo(await this.redis.info("stats"));
    return {
      cpuS: Number(cpu.get("used_cpu_sys") ?? 0) + Number(cpu.get("used_cpu_user") ?? 0),
      forks: Number(stats.get("total_forks") ?? 0),
      commands: Number(stats.get("total_commands_processed") ?? 0),
    };
  }

  async commandStats(): Promise<CommandStats> {
    const stats = new Map<string, { calls: number; usec: number }>();
    for (const [field, value] of parseInfo(await this.redis.info("commandstats"))) {
      const calls = /calls=(\d+)/.exec(value)?.[1];
      const usec = /usec=(\d+)/.exec(value)?.[1];
      if (calls !== undefined && usec !== undefined)
        stats.set(field.replace(/^cmdstat_/, ""), { calls: Number(calls), usec: Number(usec) });
    }
    return stats;
  }

  /** Deletes every key of these queues: the system's own removal first, then SCAN + UNLINK. */
  async cleanup(sys: BenchSystem, queues: readonly string[]): Promise<void> {
    for (const queue of queues) {
      await sys.cleanup?.(this.redisUrl, queue);
      const left = await unlinkMatching(this.redis, sys.keyPattern(queue));
      if (sys.cleanup && left > 0)
        console.log(`  note: ${left} ${queue} key(s) were left after obliterate; unlinked`);
    }
  }

  async machineInfo(): Promise<Record<string, unknown>> {
    const server = parseInfo(await this.redis.info("server"));
    return {
      cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
      cores: os.availableParallelism(),
      totalMemGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
      nodeVersion: process.version,
      redisVersion: server.get("redis_version") ?? "unknown",
      redisPersistence: {
        save: await this.configGet("save"),
        appendonly: await this.configGet("appendonly"),
      },
      date: new Date().toISOString(),
    };
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  private async configGet(name: string): Promise<string> {
    const reply = (await this.redis.config("GET", name)) as unknown;
    return Array.isArray(reply) && typeof reply[1] === "string" ? reply[1] : "";
  }
}

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}
