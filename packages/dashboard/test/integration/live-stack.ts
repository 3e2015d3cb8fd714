/**
 * A real stack for the dashboard's integration tests, in a process of its own: the history server
 * (REST + live streams) and a worker with one task, both on the Redis and namespace the parent
 * gives in the environment. Prints `{"url": ...}` once listening; each stdin line `submit <ms>`
 * submits a job that runs that long (reporting progress) and prints `{"jobId": ...}`.
 */
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { openServerRedis, startServer } from "@upnext/server";
import { Worker, getConfig } from "upnext";
import { deleteNamespaceKeys } from "../../e2e/namespace-cleanup.js";

const STEPS = 4;

const config = getConfig();
const server = await startServer({ config, host: "127.0.0.1", port: 0 });
const worker = new Worker({
  name: "dashboard-test",
  concurrency: 4,
  handleSignals: false,
  redis: config.redisUrl,
});
const slow = worker.task("dashboard-test-job", { timeout: "30s" }, async (input: { ms: number }, ctx) => {
  for (let step = 1; step <= STEPS; step++) {
    await sleep(input.ms / STEPS, undefined, { signal: ctx.signal });
    ctx.progress({ current: step, total: STEPS });
  }
  return { slept: input.ms };
});
await worker.start();
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const [command, value] = line.trim().split(/\s+/);
  if (command !== "submit") return;
  slow.submit({ ms: Number(value ?? 500) }).then(
    (ref) => process.stdout.write(`${JSON.stringify({ jobId: ref.id })}\n`),
    (error: unknown) => process.stdout.write(`${JSON.stringify({ error: String(error) })}\n`),
  );
});
lines.on("close", () => {
  void (async () => {
    await worker.stop();
    await server.close();
    const redis = openServerRedis(config.redisUrl);
    await deleteNamespaceKeys(redis, config.namespace).catch(() => undefined);
    redis.disconnect();
    process.exit(0);
  })();
});
