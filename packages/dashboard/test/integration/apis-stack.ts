/**
 * A real stack for the dashboard's APIs test, in a process of its own: the history server and a
 * tracked Fastify app (tracked-api.ts) on the Redis and namespace the parent gives in the
 * environment. Prints `{"url": ...}` once listening; each stdin line `traffic` sends the app a
 * known mix and prints `{"sent": n}`, `fail` one failing request and prints `{"failed": true}`.
 */
import { createInterface } from "node:readline";
import { openServerRedis, startServer } from "@upnext/server";
import { getConfig } from "upnext";
import { deleteNamespaceKeys } from "../../e2e/namespace-cleanup.js";
import { startTrackedApi } from "./tracked-api.js";

const config = getConfig();
const server = await startServer({ config, host: "127.0.0.1", port: 0 });
const api = await startTrackedApi(config.namespace, config.redisUrl);
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

const reply = (work: Promise<object>) => {
  work.then(
    (answer) => process.stdout.write(`${JSON.stringify(answer)}\n`),
    (error: unknown) => process.stdout.write(`${JSON.stringify({ error: String(error) })}\n`),
  );
};

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const command = line.trim();
  if (command === "traffic") reply(api.traffic().then((sent) => ({ sent })));
  if (command === "fail") reply(api.fail().then(() => ({ failed: true })));
});
lines.on("close", () => {
  void (async () => {
    await api.stop();
    await server.close();
    const redis = openServerRedis(config.redisUrl);
    await deleteNamespaceKeys(redis, config.namespace).catch(() => undefined);
    redis.disconnect();
    process.exit(0);
  })();
});
