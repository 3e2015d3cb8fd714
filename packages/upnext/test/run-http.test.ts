/**
 * `upnext run` with HTTP apps (docs/cli.md, "run"; docs/http-apis.md): real CLI processes that
 * serve a Fastify, Express or Hono app beside workers, with one graceful shutdown for all of
 * them, and a second signal that exits at once.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli as spawnCliProcess, type CliProcess } from "./helpers/cli.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";

const FIXTURES = "packages/upnext/test/fixtures/cli";
const WAIT_MS = 20_000;
const namespace = testNamespace("run-http");
const redis = redisClient();
const children: CliProcess[] = [];
let tmp = "";

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "upnext-run-http-"));
});

afterAll(async () => {
  for (const child of children) if (child.child.exitCode === null) child.child.kill("SIGKILL");
  await rm(tmp, { recursive: true, force: true });
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

function run(entry: string, args: readonly string[] = [], env: Record<string, string> = {}): CliProcess {
  const spawned = spawnCliProcess(
    ["run", `${FIXTURES}/${entry}`, "--host", "127.0.0.1", "--port", "0", ...args],
    {
      UPNEXT_NAMESPACE: namespace,
      ...env,
    },
  );
  children.push(spawned);
  return spawned;
}

/** The URL the CLI printed for an app; fails at once (with its output) if the child exits. */
async function urlOf(proc: CliProcess, app: string): Promise<string> {
  let exitedWith: string | undefined;
  void proc.exited.then((finished) => (exitedWith = `${String(finished.code)}: ${finished.stderr}`));
  return eventually(
    () => {
      if (exitedWith !== undefined) throw new Error(`cli exited (${exitedWith})`);
      const match = new RegExp(`HTTP app '${app}' \\(\\w+\\) started on (http://\\S+)`).exec(proc.stderr());
      return match?.[1];
    },
    `app '${app}' to start`,
    WAIT_MS,
  );
}

describe("upnext run with HTTP apps", () => {
  it("serves a Fastify app beside its worker, and on SIGTERM answers the request in flight, then exits 0", async () => {
    const proc = run("http-app.ts");
    const url = await urlOf(proc, "app");
    expect(proc.stderr()).toContain("worker 'cli-http-worker' started");

    // A job submitted by a request runs on the worker of the same process.
    const doubled = await fetch(`${url}/double`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n: 21 }),
    });
    expect(await doubled.json()).toEqual({ result: 42 });
    await eventually(
      async () => (await redis.zcard(`${namespace}:apis`)) === 1,
      "the API heartbeat",
      WAIT_MS,
    );

    const release = join(tmp, "release-graceful");
    const inFlight = fetch(`${url}/slow?release=${encodeURIComponent(release)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    proc.child.kill("SIGTERM");
    await eventually(() => proc.stderr().includes("stopping gracefully"), "the graceful stop", WAIT_MS);
    // The stop waits for the request: it is answered once it can finish.
    await writeFile(release, "");
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe("done");

    const finished = await proc.exited;
    expect(finished.code, finished.stderr).toBe(0);
    // The instance left the registry and its figures were reported before the exit.
    expect(await redis.zcard(`${namespace}:apis`)).toBe(0);
    const events = await redis.xrange(`${namespace}:events`, "-", "+");
    expect(JSON.stringify(events)).toContain('\\"route\\":\\"/slow\\"');
  }, 60_000);

  it("exits at once on a second signal while a request is still in flight", async () => {
    const proc = run("http-app.ts");
    const url = await urlOf(proc, "app");
    const never = join(tmp, "never-created");
    const inFlight = fetch(`${url}/slow?release=${encodeURIComponent(never)}`).catch(
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    proc.child.kill("SIGTERM");
    await eventually(() => proc.stderr().includes("stopping gracefully"), "the graceful stop", WAIT_MS);
    proc.child.kill("SIGTERM");
    const finished = await proc.exited;
    expect(finished.code).toBe(1);
    expect(finished.stderr).toContain("second SIGTERM, exiting now");
    expect(await inFlight).toBeInstanceOf(Error);
  }, 60_000);

  it("runs a serve() function and a Hono instance together, and stops both on SIGINT", async () => {
    const proc = run("http-serve.ts");
    const honoUrl = await urlOf(proc, "hono");
    const expressUrl = await urlOf(proc, "serve");
    expect(await (await fetch(`${honoUrl}/hono`)).text()).toBe("from hono");
    expect(await (await fetch(`${expressUrl}/express`)).text()).toBe("from express");
    proc.child.kill("SIGINT");
    const finished = await proc.exited;
    expect(finished.code, finished.stderr).toBe(0);
    await expect(fetch(`${honoUrl}/hono`)).rejects.toThrow();
    await expect(fetch(`${expressUrl}/express`)).rejects.toThrow();
  }, 60_000);

  it("refuses two app instances on one --port, naming them, and a bad --port", async () => {
    const two = await run("http-two-apps.ts").exited;
    expect(two.code, two.stderr).toBe(2);
    expect(two.stderr).toContain("2 HTTP app instances ('first', 'second')");
    const badPort = await run("http-serve.ts", ["--port", "http"]).exited;
    expect(badPort.code, badPort.stderr).toBe(2);
    expect(badPort.stderr).toContain('Invalid port "http"');
  }, 60_000);
});
