/** The store-health port on Redis: a PING on the command connection, bounded by a timeout. */
import type { Redis } from "ioredis";
import type { StoreCheck, StoreHealth } from "../store-health.js";

export class RedisHealth implements StoreHealth {
  constructor(private readonly redis: Redis) {}

  async check(timeoutMs: number): Promise<StoreCheck> {
    const redis = this.redis;
    // Commands to a disconnected client would wait in ioredis' offline queue: answer at once instead.
    if (redis.status !== "ready") return { ok: false, detail: `connection is ${redis.status}` };
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([
        redis.ping(),
        new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => {
            resolve("timeout");
          }, timeoutMs);
        }),
      ]);
      if (answer === "timeout") return { ok: false, detail: `PING got no answer within ${timeoutMs}ms` };
      return { ok: true, detail: `PING answered in ${Date.now() - started}ms` };
    } catch (error) {
      return { ok: false, detail: `PING failed: ${error instanceof Error ? error.message : String(error)}` };
    } finally {
      clearTimeout(timer);
    }
  }
}
