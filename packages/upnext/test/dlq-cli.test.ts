/**
 * `upnext dlq` as users run it: a real subprocess (bin/upnext.js, cwd = repo root) against the
 * real Redis, in this file's own namespace (UPNEXT_NAMESPACE or --namespace). Dead letters are
 * produced for real by a worker in this process, which also runs the replays.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeadLetters, type DeadLetterEntry } from "../src/index.js";
import { runCli, type Finished } from "./helpers/cli.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { failAll, testConfig, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("dlq-cli");
const redis = redisClient();
const worker = testWorker(namespace, { concurrency: 20 });
const admin = new DeadLetters({ namespace, config: testConfig() });

const healed = new Set<string>();
const replaysRun = new Map<string, number>();

function flaky(name: string) {
  return worker.task(name, {}, (input: { n: number }, ctx) => {
    if (!healed.has(name)) throw new Error(`${name} ${input.n} failed`);
    if (ctx.origin?.kind === "replay") replaysRun.set(name, (replaysRun.get(name) ?? 0) + 1);
    return input.n;
  });
}

const invoices = flaky("invoices");
const webhooks = flaky("webhooks");
const reports = flaky("reports");

function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Finished> {
  return runCli(args, { UPNEXT_NAMESPACE: namespace, ...env });
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.length > 0);
}

function expectUsageError(result: Finished, ...fragments: string[]): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  const errorLines = lines(result.stderr);
  expect(errorLines, result.stderr).toHaveLength(1);
  expect(errorLines[0]).toMatch(/^upnext: /);
  for (const fragment of fragments) expect(errorLines[0]).toContain(fragment);
}

let invoiceIds: string[] = [];

beforeAll(async () => {
  await worker.start();
  invoiceIds = await failAll(await invoices.submitMany([1, 2, 3].map((n) => ({ n }))));
  await failAll(await webhooks.submitMany([1, 2].map((n) => ({ n }))));
  await failAll(await reports.submitMany(Array.from({ length: 25 }, (_, n) => ({ n }))));
});

afterAll(async () => {
  await worker.stop();
  await admin.close();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

// One CLI process at a time: each is a tsx cold start, and many at once on a loaded machine can
// outlast the test timeout.
describe("upnext dlq: bad calls exit 2 with one line on stderr", () => {
  it("rejects a --since that is neither a date nor a duration", async () => {
    expectUsageError(
      await cli(["dlq", "list", "--since", "last tuesday"]),
      "--since",
      "not a date or a duration",
    );
  });

  it("rejects a bad --limit", async () => {
    expectUsageError(await cli(["dlq", "list", "--limit", "0"]), "--limit", "from 1 to 1000");
  });

  it("names the known functions when --function matches none", async () => {
    expectUsageError(
      await cli(["dlq", "list", "--function", "invoicez"]),
      "No function named 'invoicez'",
      "invoices, reports, webhooks",
    );
  });

  it("reports an unknown job id", async () => {
    expectUsageError(await cli(["dlq", "show", "01NOSUCHJOB0000000000000000"]), "does not exist");
  });

  it("asks for a job id or --all", async () => {
    expectUsageError(await cli(["dlq", "replay"]), "Give the id of a dead-lettered job, or --all");
    expectUsageError(await cli(["dlq", "replay", "x", "--all"]), "not both");
  });

  it("rejects a --redis that is not a Redis URL", async () => {
    expectUsageError(await cli(["dlq", "list", "--redis", "localhost:6379"]), "not a redis://");
  });
});

describe("upnext dlq", () => {
  it("lists entries as a table, as JSON, by function and page by page", async () => {
    const table = await cli(["dlq", "list", "--function", "invoices"]);
    expect(table.code, table.stderr).toBe(0);
    const rows = lines(table.stdout);
    expect(rows[0]).toMatch(/^JOB\s+FUNCTION\s+FAILED AT\s+REASON\s+ATTEMPTS\s+REPLAYED AS\s+ERROR$/);
    expect(rows).toHaveLength(1 + invoiceIds.length);
    for (const id of invoiceIds) expect(table.stdout).toContain(id);
    expect(table.stdout).toContain("Error: invoices 2 failed");

    const json = await cli(["dlq", "list", "--json", "--limit", "1000"]);
    expect(json.code, json.stderr).toBe(0);
    const page = JSON.parse(json.stdout) as { entries: DeadLetterEntry[]; nextCursor: string | null };
    expect(page.entries).toHaveLength(3 + 2 + 25);
    expect(page.nextCursor).toBeNull();
    expect(new Set(page.entries.map((entry) => entry.function))).toEqual(
      new Set(["invoices", "webhooks", "reports"]),
    );

    const first = await cli(["dlq", "list", "--limit", "2", "--json"]);
    const firstPage = JSON.parse(first.stdout) as { entries: DeadLetterEntry[]; nextCursor: string };
    expect(firstPage.entries).toHaveLength(2);
    const text = await cli(["dlq", "list", "--limit", "2"]);
    expect(text.stderr).toContain(`more entries: add --cursor ${firstPage.nextCursor}`);
    const second = await cli(["dlq", "list", "--limit", "2", "--json", "--cursor", firstPage.nextCursor]);
    const secondPage = JSON.parse(second.stdout) as { entries: DeadLetterEntry[] };
    expect(secondPage.entries.map((entry) => entry.jobId)).toEqual(
      page.entries.slice(2, 4).map((entry) => entry.jobId),
    );

    // Durations ago and ISO dates.
    const recent = await cli([
      "dlq",
      "list",
      "--since",
      "1h",
      "--before",
      new Date(Date.now() + 60_000).toISOString(),
    ]);
    expect(lines(recent.stdout)).toHaveLength(1 + Math.min(50, page.entries.length));
    const old = await cli(["dlq", "list", "--before", "2h"]);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stdout).toBe("");
    expect(old.stderr).toContain("no dead-letter entries");
  });

  it("shows one entry with its error, stack and input", async () => {
    const id = invoiceIds[1] ?? "";
    const result = await cli(["dlq", "show", id]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`job:        ${id}`);
    expect(result.stdout).toContain("function:   invoices");
    expect(result.stdout).toContain("reason:     exception");
    expect(result.stdout).toContain("attempts:   1 of 1");
    expect(result.stdout).toContain("error:      Error: invoices 2 failed");
    expect(result.stdout).toContain('"n": 2');
    expect(result.stdout).toMatch(/stack:\n {2}Error: invoices 2 failed/);
    const json = await cli(["dlq", "show", id, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ jobId: id, input: { n: 2 }, reason: "exception" });
  });

  it("replays one entry; the new job runs; a second replay needs --force", async () => {
    healed.add("invoices");
    const id = invoiceIds[0] ?? "";
    const result = await cli(["dlq", "replay", id]);
    expect(result.code, result.stderr).toBe(0);
    const newId = result.stdout.trim();
    expect(newId).toMatch(/^[0-9A-Z]{26}$/);
    expect(result.stderr).toContain(`replayed ${id} as a new job of 'invoices'`);
    expect(await invoices.ref(newId).result({ timeout: "20s" })).toBe(1);
    expect((await invoices.ref(newId).status()).origin).toEqual({ kind: "replay", replayOf: id });
    expect((await admin.get(id)).replayedAs).toBe(newId);

    expectUsageError(await cli(["dlq", "replay", id]), `already replayed as '${newId}'`, "--force");
    const forced = await cli(["dlq", "replay", id, "--force", "--json"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ jobId: id, function: "invoices" });

    const pending = await cli(["dlq", "list", "--function", "invoices", "--pending", "--json"]);
    const ids = (JSON.parse(pending.stdout) as { entries: DeadLetterEntry[] }).entries.map((e) => e.jobId);
    expect(ids.sort()).toEqual(invoiceIds.slice(1).sort());
  });

  it("replays --all of a function with one progress line per batch when not on a terminal", async () => {
    healed.add("reports");
    const result = await cli(["dlq", "replay", "--all", "--function", "reports", "--namespace", namespace], {
      // The flag wins over the environment.
      UPNEXT_NAMESPACE: "not-this-one",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe("Replayed 25 dead-letter entries of function 'reports'.");
    expect(lines(result.stderr)).toEqual(["upnext: replayed 25/25"]);
    await eventually(() => replaysRun.get("reports") === 25, "the 25 replays to run", 20_000);
    expect((await admin.list({ function: "reports", replayed: false })).entries).toEqual([]);
  });

  it("purge says what it would delete and exits 2 without --yes, then deletes with it", async () => {
    const dry = await cli(["dlq", "purge", "--function", "webhooks"]);
    expectUsageError(dry, "Would purge 2 dead-letter entries of function 'webhooks'", "--yes");
    expect(await admin.count({ function: "webhooks" })).toBe(2);

    const none = await cli(["dlq", "purge", "--before", "1h", "--yes"]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout.trim()).toMatch(/^Purged 0 dead-letter entries died before /);

    const purged = await cli(["dlq", "purge", "--function", "webhooks", "--yes", "--json"]);
    expect(purged.code, purged.stderr).toBe(0);
    expect(JSON.parse(purged.stdout)).toEqual({ total: 2, purged: 2 });
    expect(purged.stderr).toBe("upnext: purged 2/2\n");
    expect(await admin.count({ function: "webhooks" })).toBe(0);
    expect(await admin.count()).toBeGreaterThan(0);
  });
});
