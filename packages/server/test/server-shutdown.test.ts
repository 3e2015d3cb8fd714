/**
 * `upnext server start` stops on SIGTERM within its shutdown timeout whatever state its
 * dependencies are in — Redis down and reconnecting, Redis back, PostgreSQL unreachable — and
 * frees its port, so a replacement can bind it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { type Server, type Socket, connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, spawnCli } from "../../upnext/test/helpers/cli.js";
import { PrivateRedis, freePort } from "../../upnext/test/helpers/private-redis.js";
import { eventually } from "../../upnext/test/helpers/redis.js";
import { testNamespace } from "./helpers/app.js";
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from "./helpers/database.js";

/** Generous: the test fails on a hang, it does not measure how fast the stop was. */
const EXIT_WAIT_MS = 60_000;

const dir = mkdtempSync(join(tmpdir(), "upnext-server-shutdown-"));
let redis: PrivateRedis;

beforeAll(async () => {
  redis = await PrivateRedis.start();
});

afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

function startServer(port: number, env: Record<string, string> = {}): CliProcess {
  return spawnCli(["server", "start", "--port", String(port)], {
    UPNEXT_REDIS_URL: redis.url,
    UPNEXT_DATABASE_URL: `sqlite:${join(dir, `history-${port}.db`)}`,
    UPNEXT_NAMESPACE: testNamespace("shutdown"),
    UPNEXT_ARTIFACTS_DIR: join(dir, "artifacts"),
    UPNEXT_SHUTDOWN_TIMEOUT: "2s",
    ...env,
  });
}

/**
 * With Redis down the server waits on purpose before listening (5 s for the ingest group, 2 s
 * for the rate limiter's connection) on top of a tsx cold start: under load that took up to 30 s
 * and made a 30 s wait flaky. A hang still fails.
 */
async function listening(server: CliProcess): Promise<string> {
  return eventually(
    () => /listening on (http:\/\/\S+) /.exec(server.stdout())?.[1],
    "the server to listen",
    EXIT_WAIT_MS,
  );
}

/** SIGTERM, then how it exited; throws if the process is still running long after its timeout. */
async function terminate(
  server: CliProcess,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  server.child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      server.child.kill("SIGKILL");
      reject(new Error(`still running after SIGTERM; stderr:\n${server.stderr()}`));
    }, EXIT_WAIT_MS);
  });
  try {
    const finished = await Promise.race([server.exited, hung]);
    // The stderr tail goes into a failure's message: it says what the process was doing.
    return { code: finished.code, signal: finished.signal, stderr: finished.stderr.slice(-2_000) };
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when something else can listen on the port: the stopped server released it. */
async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => {
      resolve(false);
    });
    probe.listen(port, "127.0.0.1", () => {
      probe.close(() => {
        resolve(true);
      });
    });
  });
}

describe("upnext server start: SIGTERM with a dependency down", { timeout: 180_000 }, () => {
  it("exits and frees its port while Redis is down and the connections are reconnecting", async () => {
    const port = await freePort();
    const server = startServer(port);
    const url = await listening(server);
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    await redis.stop();
    // The readiness probe sees the outage: the server's connections are now reconnecting.
    await eventually(async () => (await fetch(`${url}/ready`)).status === 503, "/ready to report the outage");

    expect(await terminate(server)).toMatchObject({ code: 0, signal: null });
    expect(await portIsFree(port)).toBe(true);
    await redis.restart();
  });

  it("exits once Redis is back after an outage", async () => {
    const port = await freePort();
    const server = startServer(port);
    const url = await listening(server);
    await redis.stop();
    await eventually(async () => (await fetch(`${url}/ready`)).status === 503, "/ready to report the outage");
    await redis.restart();
    await eventually(async () => (await fetch(`${url}/ready`)).status === 200, "/ready after Redis is back");

    expect(await terminate(server)).toMatchObject({ code: 0, signal: null });
    expect(await portIsFree(port)).toBe(true);
  });

  it("starts while Redis is down, and still exits on SIGTERM", async () => {
    await redis.stop();
    try {
      const port = await freePort();
      const server = startServer(port);
      await listening(server);
      expect(await terminate(server)).toMatchObject({ code: 0, signal: null });
      expect(await portIsFree(port)).toBe(true);
    } finally {
      await redis.restart();
    }
  });
});

/**
 * A TCP relay in front of the shared PostgreSQL that the test can cut: the server loses its
 * database without the shared server being touched.
 */
class CuttableRelay {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(target: URL) {
    this.server = createServer((client) => {
      const upstream = connect(Number(target.port || "5432"), target.hostname);
      this.sockets.add(client).add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream).pipe(client);
    });
  }

  async listen(): Promise<number> {
    const port = await freePort();
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    return port;
  }

  /** Stops accepting and drops every open connection: PostgreSQL is unreachable from now on. */
  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

describe("upnext server start: SIGTERM with PostgreSQL unreachable", { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let relay: CuttableRelay;

  beforeAll(async () => {
    database = await createTestDatabase("postgres", "shutdown");
    relay = new CuttableRelay(new URL(POSTGRES_URL));
  });

  afterAll(async () => {
    await relay.cut().catch(() => undefined);
    await database.destroy();
  });

  it("exits and frees its port after its database connections were cut", async () => {
    const relayPort = await relay.listen();
    const through = new URL(POSTGRES_URL);
    through.port = String(relayPort);
    through.searchParams.set("options", `-c search_path=${database.schema ?? "public"}`);
    const port = await freePort();
    const server = startServer(port, { UPNEXT_DATABASE_URL: through.toString() });
    const url = await listening(server);
    await eventually(async () => (await fetch(`${url}/ready`)).status === 200, "the server to be ready");
    await relay.cut();
    await eventually(async () => (await fetch(`${url}/ready`)).status === 503, "/ready to report the outage");

    expect(await terminate(server)).toMatchObject({ code: 0, signal: null });
    expect(await portIsFree(port)).toBe(true);
  });
});
