/**
 * The CLI verbs around an application: list, inspect, call --inline, job show|cancel|retry,
 * health and init. Real subprocesses (bin/upnext.js) against the real Redis, in a namespace of
 * this file's own.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Worker } from "../src/index.js";
import { ROOT, runCli } from "./helpers/cli.js";
import { deleteNamespace, redisClient, testNamespace } from "./helpers/redis.js";

const ENTRY = "packages/upnext/test/fixtures/cli/manifest.ts";
const namespace = testNamespace("cli-verbs");
const redis = redisClient();
// Never started as a worker: it submits jobs for the job commands, and serves a health endpoint.
const producer = new Worker({ name: "cli-verbs", namespace, handleSignals: false });
const charge = producer.task("charge", {}, () => null);
const healthy = new Worker({ name: "cli-verbs-health", namespace, handleSignals: false });
healthy.task("noop", {}, () => null);
const scratch: string[] = [];
// Each CLI call is a process that loads TypeScript: seconds each on a busy machine.
const SLOW = 180_000;

function cli(args: readonly string[], env: Record<string, string> = {}) {
  return runCli(args, { UPNEXT_NAMESPACE: namespace, ...env });
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.length > 0);
}

afterAll(async () => {
  await producer.stop();
  await healthy.stop();
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("upnext list and inspect", () => {
  it("lists every worker, task, cron schedule and event handler of the file", async () => {
    const result = await cli(["list", ENTRY]);
    expect(result.code, result.stderr).toBe(0);
    const rows = lines(result.stdout).map((line) => line.split(/\s{2,}/));
    expect(rows[0]).toEqual(["KIND", "NAME", "WORKER", "DETAIL"]);
    expect(rows.slice(1).map((row) => `${row[0] ?? ""} ${row[1] ?? ""}`)).toEqual([
      "worker billing",
      "task charge",
      "task invoice-run",
      "task send-receipt",
      "task audit-orders",
      "cron invoice-run",
      "event send-receipt",
      "event audit-orders",
    ]);
    expect(result.stdout).toContain("retries 2, timeout 45s, priority 5, concurrency 4, input schema");
    expect(result.stdout).toContain("0 3 * * * (Europe/Paris), missed runs skip, overlap skip");
  });

  it("prints the manifest as JSON, with each definition's options", async () => {
    const result = await cli(["inspect", ENTRY, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const manifest = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      manifestVersion: 1,
      entry: ENTRY,
      workers: [
        {
          name: "billing",
          settings: { concurrency: 3, prefetch: 5 },
          tasks: ["charge", "invoice-run", "send-receipt", "audit-orders"],
        },
      ],
      crons: [
        {
          name: "invoice-run",
          worker: "billing",
          task: "invoice-run",
          cron: "0 3 * * *",
          timezone: "Europe/Paris",
          overlap: "skip",
          input: { dryRun: false },
        },
      ],
      events: [
        { handler: "send-receipt", worker: "billing", pattern: "order.paid" },
        { handler: "audit-orders", worker: "billing", pattern: "order.*" },
      ],
    });
    const tasks = manifest.tasks as { name: string; trigger: unknown; options: Record<string, unknown> }[];
    expect(tasks.map((task) => [task.name, task.trigger])).toEqual([
      ["charge", null],
      ["invoice-run", "cron"],
      ["send-receipt", "event"],
      ["audit-orders", "event"],
    ]);
    expect(tasks[0]?.options).toMatchObject({
      retries: 2,
      timeoutMs: 45_000,
      priority: 5,
      concurrency: 4,
      hasInputSchema: true,
    });
  });

  it("exits 2 for a file that is missing or exports no worker", async () => {
    const missing = await cli(["list", "nowhere.ts"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Entry file not found: nowhere.ts");
    const none = await cli(["inspect", "packages/upnext/test/fixtures/cli/no-workers.ts"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("exports no Worker");
  });
});

describe("upnext call --inline", () => {
  it("runs the handler here, prints its result, and touches no queue", async () => {
    const result = await cli(["call", ENTRY, "charge", "--inline", "-i", '{"cents": 250}'], {
      UPNEXT_LOG_FORMAT: "json",
      UPNEXT_LOG_LEVEL: "info",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ charged: 250 });
    expect(result.stderr).toContain("upnext: progress 50% authorised");
    expect(result.stderr).toContain("upnext: metric cents=250");
    // ctx.log goes to stderr (stdout is the result), as JSON under UPNEXT_LOG_FORMAT=json.
    const logLine = lines(result.stderr).find((line) => line.includes("charging card")) ?? "";
    expect(JSON.parse(logLine)).toMatchObject({ msg: "charging card", cents: 250, function: "charge" });
    expect(await redis.keys(`${namespace}:*charge*`)).toEqual([]);
  });

  it("writes readable log lines under UPNEXT_LOG_FORMAT=pretty", async () => {
    const result = await cli(["call", ENTRY, "charge", "--inline", "-i", '{"cents": 1}'], {
      UPNEXT_LOG_FORMAT: "pretty",
      UPNEXT_LOG_LEVEL: "info",
    });
    expect(result.code, result.stderr).toBe(0);
    const logLine = lines(result.stderr).find((line) => line.includes("charging card")) ?? "";
    expect(logLine).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}upnext charging card {2}.*cents=1/);
    // Not a terminal, so no colour codes.
    expect(logLine).not.toContain("\u001b[");
  });

  it(
    "exits 1 when the attempt fails and 2 for input the schema refuses",
    async () => {
      const failed = await cli(["call", ENTRY, "charge", "--inline", "-i", '{"cents": -1}']);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toBe("");
      expect(failed.stderr).toContain(
        "Inline run of 'charge' failed (exception): Error: negative amount; a worker would retry it",
      );
      const invalid = await cli(["call", ENTRY, "charge", "--inline", "-i", '{"cents": "many"}']);
      expect(invalid.code).toBe(2);
      expect(invalid.stderr).toContain("cents");
      const mixed = await cli(["call", ENTRY, "charge", "--inline", "--wait", "-i", '{"cents": 1}']);
      expect(mixed.code).toBe(2);
      expect(mixed.stderr).toContain("--wait does not apply with --inline");
    },
    SLOW,
  );
});

describe("upnext job", () => {
  it(
    "shows, cancels and retries a job by its id",
    async () => {
      const ref = await charge.submit({ cents: 9 }, { tags: { tenant: "acme" } });
      const shown = await cli(["job", "show", ref.id]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toMatch(new RegExp(`^job: +${ref.id}$`, "m"));
      expect(shown.stdout).toMatch(/^status: +queued$/m);
      expect(shown.stdout).toContain('tags:       {"tenant":"acme"}');

      const cancelled = await cli(["job", "cancel", ref.id, "--reason", "customer asked"]);
      expect(cancelled.code, cancelled.stderr).toBe(0);
      expect(cancelled.stdout.trim()).toBe(`cancelled ${ref.id}`);
      expect((await ref.status()).status).toBe("cancelled");

      const again = await cli(["job", "cancel", ref.id]);
      expect(again.code).toBe(0);
      expect(again.stderr).toContain("had already ended (cancelled)");

      const retried = await cli(["job", "retry", ref.id]);
      expect(retried.code, retried.stderr).toBe(0);
      const newId = retried.stdout.trim();
      expect(newId).not.toBe(ref.id);
      expect((await charge.ref(newId).status()).status).toBe("queued");

      const twice = await cli(["job", "retry", ref.id]);
      expect(twice.code).toBe(2);
      expect(twice.stderr).toContain("already");

      const json = await cli(["job", "show", newId, "--json"]);
      expect(JSON.parse(json.stdout)).toMatchObject({
        id: newId,
        function: "charge",
        origin: { kind: "replay", replayOf: ref.id },
      });
    },
    SLOW,
  );

  it(
    "exits 2 for an unknown id, a malformed id, and a job that cannot be retried",
    async () => {
      const unknown = await cli(["job", "show", "01NOSUCHJOB0000000000000000"]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("does not exist");
      const malformed = await cli(["job", "cancel", "not an id"]);
      expect(malformed.code).toBe(2);
      const queued = await charge.submit({ cents: 1 });
      const notRetryable = await cli(["job", "retry", queued.id]);
      expect(notRetryable.code).toBe(2);
      expect(notRetryable.stderr).toContain("only failed or cancelled jobs can be retried");
    },
    SLOW,
  );

  it("exits 1 when Redis cannot be reached", async () => {
    const result = await cli(["job", "show", "01ABC", "--redis", "redis://127.0.0.1:1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Cannot reach Redis");
  });
});

describe("upnext health", () => {
  it(
    "exits 0 for a ready worker, 1 when not ready, unauthorized or unreachable, 2 for a bad URL",
    async () => {
      // Serving before start: alive, but not ready.
      const endpoint = await healthy.serveHealth({ port: 0, host: "127.0.0.1", token: "s3cret" });
      const notReady = await cli(["health", "--url", endpoint.url, "--token", "s3cret"]);
      expect(notReady.code).toBe(1);
      expect(notReady.stderr).toContain("answered 503: not ready (started:");
      const alive = await cli(["health", "--url", endpoint.url, "--live"], {
        UPNEXT_WORKER_HTTP_TOKEN: "s3cret",
      });
      expect(alive.code, alive.stderr).toBe(0);
      expect(alive.stdout).toContain("/health: ok");

      await healthy.start();
      const ready = await cli(["health", "--url", endpoint.url, "--token", "s3cret"]);
      expect(ready.code, ready.stderr).toBe(0);
      expect(ready.stdout.trim()).toBe(`${endpoint.url}/ready: ready`);

      const noToken = await cli(["health", "--url", endpoint.url]);
      expect(noToken.code).toBe(1);
      expect(noToken.stderr).toContain("answered 401");
      const wrongToken = await cli(["health", "--url", `${endpoint.url}/ready`, "--token", "guess"]);
      expect(wrongToken.code).toBe(1);

      const badUrl = await cli(["health", "--url", "ftp://127.0.0.1/x"]);
      expect(badUrl.code).toBe(2);
      const missingUrl = await cli(["health"]);
      expect(missingUrl.code).toBe(2);

      await healthy.stop();
      const gone = await cli(["health", "--url", endpoint.url, "--timeout", "2s"]);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain("did not answer");
    },
    SLOW,
  );
});

describe("upnext init", () => {
  it(
    "scaffolds a worker the CLI can load, and refuses to overwrite anything",
    async () => {
      // Inside the repository, so the scaffold's `import "upnext"` resolves as in a project.
      await mkdir(join(ROOT, "packages/upnext/test/.scratch"), { recursive: true });
      const dir = await mkdtemp(join(ROOT, "packages/upnext/test/.scratch/init-"));
      scratch.push(dir);
      await writeFile(
        join(dir, "package.json"),
        JSON.stringify({ name: "shop", type: "module", scripts: { test: "vitest" } }),
      );
      const created = await cli(["init", dir]);
      expect(created.code, created.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))).toEqual({
        name: "shop",
        type: "module",
        scripts: { test: "vitest", worker: "upnext run worker.ts" },
      });
      expect(readFileSync(join(dir, ".env.example"), "utf8")).toContain("UPNEXT_REDIS_URL=");
      const listed = await cli(["list", join(dir, "worker.ts")]);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain("send-welcome");
      expect(listed.stdout).toContain("nightly-cleanup");

      const workerBefore = readFileSync(join(dir, "worker.ts"), "utf8");
      await writeFile(join(dir, "worker.ts"), "// mine\n");
      const refused = await cli(["init", dir]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("Not overwriting");
      expect(refused.stderr).toContain("worker.ts");
      expect(refused.stderr).toContain('the "worker" script');
      expect(readFileSync(join(dir, "worker.ts"), "utf8")).toBe("// mine\n");
      expect(workerBefore).toContain("new Worker");

      const other = await cli(["init", dir, "--file", "jobs.ts", "--script", "jobs"]);
      expect(other.code).toBe(2);
      expect(other.stderr).toContain(".env.example");
      expect(existsSync(join(dir, "jobs.ts"))).toBe(false);

      const fresh = join(dir, "fresh");
      const made = await cli(["init", fresh, "--file", "tasks.ts"]);
      expect(made.code, made.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(fresh, "package.json"), "utf8"))).toMatchObject({
        name: "fresh",
        type: "module",
        scripts: { worker: "upnext run tasks.ts" },
      });
      const badName = await cli(["init", dir, "--file", "../escape.ts"]);
      expect(badName.code).toBe(2);
    },
    SLOW,
  );
});
