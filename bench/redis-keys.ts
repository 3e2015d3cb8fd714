/** Deleting a bench run's Redis keys: SCAN + UNLINK by pattern, so the shared Redis never blocks. */
import type { Redis } from "ioredis";

const SCAN_COUNT = 1_000;

/** Unlinks every key matching `pattern`; returns how many were removed. */
export async function unlinkMatching(redis: Redis, pattern: string): Promise<number> {
  let cursor = "0";
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", SCAN_COUNT);
    cursor = next;
    if (keys.length > 0) removed += await redis.unlink(...keys);
  } while (cursor !== "0");
  return removed;
}

/** Every key of a namespace (hash-tagged function keys included). */
export async function deleteNamespace(redis: Redis, namespace: string): Promise<void> {
  await unlinkMatching(redis, `${namespace}:*`);
}
