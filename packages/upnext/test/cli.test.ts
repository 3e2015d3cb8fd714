/**
 * The `upnext` CLI as users run it: a real subprocess (bin/upnext.js, cwd = repo root) against
 * the real Redis, in a namespace of this file's own passed through UPNEXT_NAMESPACE.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker } from "../src/index.js";
import { ROOT, spawnCli as spawnCliProcess, type CliProcess, type Finished } from "./helpers/cli.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";

const FIXTURES = "packages/upnext/test/fixtures/cli";
const ENTRY = `${FIXTURES}/workers.ts`;
const WAIT_MS = 20_000;

const namespace = testNamespace("cli");
const redis = redisClient();
// Never started: it only reads the jobs the CLI submitted.
const producer = new Worker({ name: "cli-test-producer", namespace, handleSignals: false });
const slow = producer.task("slow", {}, () => null);

const children: CliProcess[] = [];
let tmp = "";

function spawnCli(args: readonly string[], env: Record<string, string> = {}): CliProcess {
  const spawned = spawnCliProcess(args, { UPNEXT_NAMESPACE: namespace, ...env });
  children.push(spawned);
  return spawned;
}

function cli(args: readonly string[], env?: Record<string, string>): Promise<Finished> {
  return spawnCli(args, env).exited;
}

/** Waits for `text` on the child's stderr; fails at once (with its output) if the child exits. */
async function waitForStderr(proc: CliProcess, text: string): Promise<void> {
  let exited: Finished | undefined;
  void proc.exited.then((finished) => (exited = finished));
  await eventually(
    () => {
      if (proc.stderr().includes(text)) return true;
      if (exited) throw new Error(`cli exited (${exited.code}) before printing "${text}": ${exited.stderr}`);
      return false;
    },
    `"${text}" on stderr`,
    WAIT_MS,
  );
}

/** A `run` child whose workers have all started. */
async function startRun(
  workerNames: readonly string[],
  args: readonly string[] = [],
  env?: Record<string, string>,
) {
  const proc = spawnCli(["run", ENTRY, ...args], env);
  for (const name of workerNames) await waitForStderr(proc, `worker '${name}' started`);
  return proc;
}

async function stopRun(proc: CliProcess): Promise<Finished> {
  proc.child.kill("SIGTERM");
  return proc.exited;
}

function upnextLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.length > 0);
}

function expectUsageError(result: Finished, ...fragments: string[]): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  const lines = upnextLines(result.stderr);
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^upnext: /);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
}

/** A path the slow task polls for; creating it lets the job finish. */
function releaseFile(name: string): string {
  return join(tmp, `${name}-${Math.random().toString(36).slice(2)}`);
}

async function jobStatus(id: string) {
  return slow.ref(id).status();
}

async function submitSlow(release: string): Promise<string> {
  const result = await cli(["call", ENTRY, "slow", "--input", JSON.stringify({ release })]);
  expect(result.code, result.stderr).toBe(0);
  const id = result.stdout.trim();
  expect(id).toMatch(/^\S+$/);
  return id;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "upnext-cli-"));
});

afterAll(async () => {
  for (const proc of children) proc.child.kill("SIGKILL");
  await Promise.all(children.map((proc) => proc.exited));
  await producer.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
  await rm(tmp, { recursive: true, force: true });
});

describe("upnext", () => {
  it("prints its version and help", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "packages/upnext/package.json"), "utf8")) as {
      version: string;
    };
    const versionResult = await cli(["--version"]);
    expect(versionResult.code).toBe(0);
    expect(versionResult.stdout.trim()).toBe(version);

    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("run [options] <entry>");
    expect(help.stdout).toContain("call [options] <entry> <task>");
  });

  it("rejects unknown options with exit code 2", async () => {
    const result = await cli(["call", ENTRY, "echo", "--no-such-option"]);
    expectUsageError(result, "--no-such-option");
  });
});

// One CLI process at a time: each is a tsx cold start, and many at once on a loaded machine can
// outlast the test timeout.
describe("upnext call: a call that cannot work exits 2 with one line on stderr", () => {
  it("names the known tasks when the task does not exist", async () => {
    const result = await cli(["call", ENTRY, "no-such-task"]);
    expectUsageError(result, "no-such-task", "Known tasks: echo, explode, greet, slow");
  });

  it("reports a missing entry file", async () => {
    const result = await cli(["call", `${FIXTURES}/does-not-exist.ts`, "echo"]);
    expectUsageError(result, "Entry file not found", "does-not-exist.ts");
  });

  it("reports an entry file that fails to load, with the reason", async () => {
    const result = await cli(["call", `${FIXTURES}/broken.ts`, "echo"]);
    expectUsageError(result, "Cannot load entry file", "broken fixture: cannot start");
  });

  it("blames a bad Redis URL, not the entry file that created the worker", async () => {
    const result = await cli(["run", `${FIXTURES}/workers.ts`], { UPNEXT_REDIS_URL: "http://cache:6379" });
    expectUsageError(result, 'UPNEXT_REDIS_URL="http://cache:6379" is invalid', "redis://");
    expect(result.stderr).not.toContain("Cannot load entry file");
  });

  it("reports an entry file without workers", async () => {
    const result = await cli(["call", `${FIXTURES}/no-workers.ts`, "echo"]);
    expectUsageError(result, "exports no Worker");
  });

  it("says when the exported workers come from another copy of the package", async () => {
    const result = await cli(["call", `${FIXTURES}/foreign-worker.ts`, "echo"]);
    expectUsageError(result, "exports no Worker", "'worker' looks like a Worker from another copy");
  });

  it("rejects input that is not JSON", async () => {
    const result = await cli(["call", ENTRY, "greet", "--input", "{name: Ann}"]);
    expectUsageError(result, "--input is not valid JSON");
  });

  it("rejects input that fails the task's schema, with the schema's message", async () => {
    const result = await cli(["call", ENTRY, "greet", "--input", '{"name": 5}']);
    expectUsageError(result, "Input for task 'greet' is invalid", "name:", "expected string");
  });

  it("rejects an invalid duration", async () => {
    const result = await cli(["call", ENTRY, "echo", "--input", "1", "--delay", "soon"]);
    expectUsageError(result, "Invalid delay");
  });
});

describe("upnext call", () => {
  it("accepts an absolute entry path and exits 1 when --wait times out", async () => {
    // Delayed by an hour, so no worker of this file can finish it before the wait ends.
    const result = await cli([
      "call",
      resolve(ROOT, ENTRY),
      "echo",
      "--input",
      '"later"',
      "--delay",
      "1h",
      "--wait",
      "--timeout",
      "200ms",
    ]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("Stopped waiting for job");
    expect(result.stderr).toContain("'scheduled'");
  });
});

describe("upnext run", () => {
  it("runs the exported workers once each; call --wait prints results and job failures", async () => {
    const run = await startRun(["cli-mail", "cli-reports"]);

    const greeted = await cli(["call", ENTRY, "greet", "--input", '{"name": "Ann"}', "--wait"]);
    expect(greeted.code, greeted.stderr).toBe(0);
    expect(JSON.parse(greeted.stdout)).toBe("Hello, Ann!");

    const echoed = await cli([
      "call",
      ENTRY,
      "echo",
      "--input",
      '{"n": [1, 2]}',
      "--wait",
      "--timeout",
      "20s",
    ]);
    expect(echoed.code, echoed.stderr).toBe(0);
    expect(JSON.parse(echoed.stdout)).toEqual({ n: [1, 2] });

    const failed = await cli(["call", ENTRY, "explode", "--wait"]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe("");
    expect(failed.stderr).toContain("kaput");

    // --verbose adds the handler's own stack, which points into the entry file.
    const verbose = await cli(["call", ENTRY, "explode", "--wait", "--verbose"]);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/at .*workers\.ts/);

    const finished = await stopRun(run);
    expect(finished.code, finished.stderr).toBe(0);
    // `mail` is exported twice (named and default): it must start once.
    expect(finished.stderr.match(/worker 'cli-mail' started/g)).toHaveLength(1);
  }, 90_000);

  it("--only starts the named workers, and rejects unknown names", async () => {
    const run = await startRun(["cli-reports"], ["--only", "cli-reports"]);
    const finished = await stopRun(run);
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stderr).not.toContain("worker 'cli-mail' started");

    const unknown = await cli(["run", ENTRY, "--only", "cli-reports,nope"]);
    expectUsageError(unknown, "No worker named 'nope'", "cli-mail, cli-reports");
  }, 60_000);

  it("on SIGTERM finishes the running job, then exits 0", async () => {
    const run = await startRun(["cli-reports"], ["--only", "cli-reports"]);
    const release = releaseFile("finish");
    const id = await submitSlow(release);
    await eventually(async () => (await jobStatus(id)).status === "active", "the slow job to run", WAIT_MS);

    run.child.kill("SIGTERM");
    await waitForStderr(run, "stopping gracefully");
    // The job is still running when the stop has begun; letting it end now shows the stop waits for it.
    expect((await jobStatus(id)).status).toBe("active");
    await writeFile(release, "");

    const finished = await run.exited;
    expect(finished.code, finished.stderr).toBe(0);
    const job = await jobStatus(id);
    expect(job.status).toBe("complete");
    expect(job.result).toEqual({ done: release });
  }, 60_000);

  it("on SIGTERM hands back a job that outlives the shutdown timeout, then exits 0", async () => {
    const env = { UPNEXT_SHUTDOWN_TIMEOUT: "200ms" };
    const first = await startRun(["cli-reports"], ["--only", "cli-reports"], env);
    const release = releaseFile("hand-back");
    const id = await submitSlow(release);
    await eventually(async () => (await jobStatus(id)).status === "active", "the slow job to run", WAIT_MS);

    const stopped = await stopRun(first);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect((await jobStatus(id)).status).toBe("queued");

    // Handed back, not lost: the next worker runs it to completion.
    const second = await startRun(["cli-reports"], ["--only", "cli-reports"]);
    await writeFile(release, "");
    await eventually(async () => (await jobStatus(id)).status === "complete", "the job to complete", WAIT_MS);
    const finished = await stopRun(second);
    expect(finished.code, finished.stderr).toBe(0);
  }, 90_000);
});
