/**
 * Finds a Redis for the example: the one at UPNEXT_REDIS_URL if something answers PING there,
 * otherwise a private `redis-server` started on a free port (no persistence) and stopped on exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { Redis } from "ioredis";

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** True when something at `url` answers PING within `timeoutMs` (one try, no reconnects). */
export async function answersPing(url: string, timeoutMs = 1_000): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Without a listener ioredis prints "Unhandled error event" for every failed connect.
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** The absolute path of `command` when it is an executable on the PATH. */
export function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => {
        if (port > 0) resolve(port);
        else reject(new Error("could not find a free port"));
      });
    });
  });
}

/**
 * Runs redis-server under a tiny shell watchdog that kills it as soon as its stdin (a pipe from this
 * process) reaches end-of-file: when stop() closes it, or when this process dies in any way, even
 * SIGKILL. So a private Redis never outlives the example. The watchdog exits when Redis does.
 */
const WATCHDOG = `exec 3<&0
"$0" "$@" &
pid=$!
(read -r _ <&3; kill "$pid" 2>/dev/null) &
wait "$pid"`;

export class PrivateRedis {
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly output: () => string,
  ) {
    this.exit = new Promise((resolve) => {
      child.once("exit", () => {
        this.exited = true;
        resolve();
      });
    });
  }

  /** Starts `redis-server` on a free local port and waits until it answers PING. */
  static async start(executable: string, readyTimeoutMs = 5_000): Promise<PrivateRedis> {
    const port = await freePort();
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    // Its own process group: a Ctrl-C in the terminal reaches every process of the foreground group,
    // and Redis must outlive the worker's graceful stop (which hands jobs back through it).
    const child = spawn("/bin/sh", ["-c", WATCHDOG, executable, ...args], {
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-4_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
    const redis = new PrivateRedis(`redis://127.0.0.1:${port}`, child, () => output);

    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (await answersPing(redis.url, 250)) return redis;
      const failed = await Promise.race([
        spawnError,
        new Promise<undefined>((resolve) => {
          setTimeout(() => {
            resolve(undefined);
          }, 100);
        }),
      ]);
      if (failed || redis.exited || Date.now() > deadline) {
        await redis.stop();
        const why = failed
          ? failed.message
          : redis.exited
            ? "it exited"
            : `no PONG after ${readyTimeoutMs}ms`;
        throw new Error(`redis-server did not start (${why}). Its output:\n${redis.output().trim()}`);
      }
    }
  }

  /** Stops the server and waits until it is gone (the whole group is killed if that takes over `graceMs`). */
  async stop(graceMs = 3_000): Promise<void> {
    this.child.stdin?.end();
    if (this.exited) return;
    const timer = setTimeout(() => {
      try {
        if (this.child.pid !== undefined) process.kill(-this.child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, graceMs);
    await this.exit;
    clearTimeout(timer);
  }
}

export type RedisChoice =
  | { readonly kind: "existing"; readonly url: string }
  | { readonly kind: "private"; readonly url: string; readonly server: PrivateRedis; readonly wanted: string }
  | { readonly kind: "unavailable"; readonly url: string; readonly message: string };

/** The Redis to use: the configured one when it answers, else a private one when redis-server exists. */
export async function chooseRedis(url: string): Promise<RedisChoice> {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== "redis:" && parsed?.protocol !== "rediss:") {
    return {
      kind: "unavailable",
      url,
      message: `UPNEXT_REDIS_URL=${JSON.stringify(url)} is not a redis:// or rediss:// URL.`,
    };
  }
  if (await answersPing(url)) return { kind: "existing", url };
  const executable = findOnPath("redis-server");
  if (!executable) {
    return {
      kind: "unavailable",
      url,
      message:
        `nothing answers at ${url} and redis-server is not on the PATH. Start Redis first ` +
        `(e.g. \`docker run -d -p 6379:6379 redis:7\`, or install it: \`apt-get install redis-server\`, ` +
        `\`brew install redis\`), or point UPNEXT_REDIS_URL at a running one.`,
    };
  }
  const server = await PrivateRedis.start(executable);
  return { kind: "private", url: server.url, server, wanted: url };
}
