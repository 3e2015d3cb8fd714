/**
 * `npm start`: a worker running the example tasks, a client submitting traffic to it, the history
 * server (REST + live API, dashboard) and a live view of every job's lifecycle read from the
 * status stream, all in one process.
 *
 * Redis: UPNEXT_REDIS_URL (default redis://127.0.0.1:6379) when something answers there; otherwise a
 * private `redis-server` on a free port, stopped on exit. Ctrl-C stops everything gracefully.
 *
 * The server keeps its history in ./upnext.db (UPNEXT_DATABASE_URL to change) and listens on
 * http://127.0.0.1:8080 (UPNEXT_SERVER_PORT), or on a free port when 8080 is taken.
 *
 *   npm start                        # ~5 jobs/s (UPNEXT_EXAMPLE_RATE to change)
 *   npm start -- --all-events        # also print checkpoint/metric events and every progress update
 */
import { type Config } from "@upnext/core";
import { getConfig } from "upnext";
import { startServer, type RunningServer } from "@upnext/server";
import { rateFromEnv, startTraffic, type Traffic } from "./client.js";
import { compactLogger } from "./compact-logger.js";
import { LifecyclePrinter } from "./lifecycle-printer.js";
import { DEFAULT_REDIS_URL, chooseRedis, type RedisChoice } from "./local-redis.js";
import { createExampleWorker } from "./tasks.js";
import { bold, complain, dim, say } from "./terminal-style.js";

const configured = process.env.UPNEXT_REDIS_URL?.trim();
const wanted = configured === undefined || configured === "" ? DEFAULT_REDIS_URL : configured;

let redis: RedisChoice;
try {
  redis = await chooseRedis(wanted);
} catch (error) {
  complain(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
if (redis.kind === "unavailable") {
  complain(redis.message);
  process.exit(1);
}
if (redis.kind === "private") {
  say(
    "redis",
    `nothing answered at ${redis.wanted}; started a private redis-server at ${bold(redis.url)} (in memory, stopped on exit)`,
  );
} else {
  say("redis", `using ${bold(redis.url)}`);
}

// Configuration is parsed once, on first use (getConfig() below): set it before that. The lifecycle
// lines already show what jobs log, so the library's own logs default to warnings, printed compactly.
process.env.UPNEXT_REDIS_URL = redis.url;
process.env.UPNEXT_LOG_LEVEL ??= "warn";
const privateRedis = redis.kind === "private" ? redis.server : undefined;
let config: Config;
try {
  config = getConfig();
} catch (error) {
  complain(error instanceof Error ? error.message : String(error)); // e.g. an invalid UPNEXT_NAMESPACE
  await privateRedis?.stop();
  process.exit(1);
}
const printer = new LifecyclePrinter({
  redisUrl: redis.url,
  namespace: config.namespace,
  allEvents: process.argv.includes("--all-events"),
});
const { worker, tasks } = createExampleWorker({
  redis: redis.url,
  handleSignals: false,
  logger: compactLogger(config.logLevel),
});
let traffic: Traffic | undefined;
let server: RunningServer | undefined;
// The server's lines (alerts among them) in the same compact form as the worker's.
const serverLogger = compactLogger(config.logLevel);

async function startHistoryServer(): Promise<RunningServer> {
  try {
    return await startServer({ config, logger: serverLogger });
  } catch (error) {
    if ((error as { code?: unknown }).code !== "EADDRINUSE") throw error;
    say("server", `port ${config.serverPort} is taken; listening on a free port instead`);
    return startServer({ config, port: 0, logger: serverLogger });
  }
}

async function shutdown(signal: string): Promise<void> {
  say(
    "service",
    `${signal}: stopping the client, then the worker (in-flight jobs get 5s; Ctrl-C again to force)`,
  );
  await traffic?.stop();
  await worker.stop(signal);
  await server?.close();
  await printer.stop();
  if (privateRedis) {
    await privateRedis.stop();
    say("redis", "private redis-server stopped");
  }
  const { printed, folded, invalid } = printer.counts;
  const submitted = traffic?.counts.submitted ?? 0;
  say(
    "service",
    `stopped: ${submitted} job(s) submitted; ${printed} event(s) printed, ${folded} folded ${dim("(checkpoint, metric, frequent progress)")}, ${invalid} invalid entr${invalid === 1 ? "y" : "ies"} skipped`,
  );
}

/**
 * The longest a stop may take: the worker's 5s for in-flight jobs plus its 5s stop allowance, and
 * time for the server. A step waiting on a dependency that is down (Redis, the database) must not
 * keep the process running.
 */
const STOP_DEADLINE_MS = 15_000;

let stopRequestedAt: number | undefined;
function onSignal(signal: NodeJS.Signals): void {
  if (stopRequestedAt === undefined) {
    stopRequestedAt = Date.now();
    setTimeout(() => {
      complain(
        `not stopped after ${STOP_DEADLINE_MS / 1000}s (is Redis reachable?): exiting now; unfinished jobs are re-delivered once their lease expires`,
      );
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        complain(`stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
    return;
  }
  // One Ctrl-C can arrive several times (the terminal, npm and tsx each pass it on): only a
  // signal that comes noticeably later is a request to stop right now.
  if (Date.now() - stopRequestedAt < 1_000) return;
  complain(`second ${signal}: exiting now; unfinished jobs are re-delivered once their lease expires`);
  process.exit(130);
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

try {
  await printer.start();
  server = await startHistoryServer();
  await worker.start();
} catch (error) {
  complain(`could not start: ${error instanceof Error ? error.message : String(error)}`);
  await worker.stop().catch(() => undefined);
  await server?.close().catch(() => undefined);
  await printer.stop();
  await privateRedis?.stop();
  process.exit(1);
}

const rate = rateFromEnv();
say(
  "service",
  `worker ${bold(worker.workerId ?? worker.name)} runs ${[...worker.tasks.keys()].join(", ")}; ` +
    `the client submits ~${rate} jobs/s. Ctrl-C to stop.`,
);
say(
  "server",
  `dashboard at ${bold(`${server.url}/`)} (API docs ${server.url}/api/v1/docs, health ${server.url}/ready)`,
);
if (stopRequestedAt === undefined) traffic = startTraffic(tasks, { rate });
