/** Deletes a test namespace's Redis keys, so test runs leave nothing behind on the shared Redis. */
import type { Redis } from "ioredis";

const SCAN_COUNT = 1_000;

export async function deleteNamespaceKeys(redis: Redis, namespace: string): Promise<void> {
  // The server's connections queue nothing while connecting: wait until this one is up.
  if (redis.status !== "ready") await new Promise((resolve) => redis.once("ready", resolve));
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${namespace}:*`, "COUNT", SCAN_COUNT);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== "0");
}
