/**
 * `upnext cron list|pause|resume|remove|trigger` as users run it: a real subprocess
 * (bin/upnext.js, cwd = repo root) against the real Redis, with no entry file, in a namespace of
 * this file's own passed through UPNEXT_NAMESPACE (or --namespace).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Schedules, type ScheduleInfo } from "../src/index.js";
import { runCli, type Finished } from "./helpers/cli.js";
import { deleteNamespace, redisClient, testNamespace } from "./helpers/redis.js";
import { testConfig } from "./helpers/worker.js";

const namespace = testNamespace("cron-cli");
const redis = redisClient();
const schedules = new Schedules({ namespace, config: testConfig() });

function cli(
  args: readonly string[],
  env: Record<string, string> = { UPNEXT_NAMESPACE: namespace },
): Promise<Finished> {
  return runCli(args, env);
}

beforeAll(async () => {
  await schedules.upsert({
    name: "cli-nightly",
    task: "cli-report",
    cron: "0 2 * * *",
    timezone: "Europe/Paris",
    missedRuns: "all",
    catchUpWindow: "6h",
    overlap: "skip",
    input: { x: 1 },
  });
  await schedules.upsert({ name: "cli-hourly", task: "cli-report", cron: "0 * * * *" });
});

afterAll(async () => {
  await schedules.close();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

// Each command is a process that compiles the CLI with tsx: seconds each on a loaded machine.
describe("upnext cron", { timeout: 120_000 }, () => {
  it("list prints a table, and JSON with --json", async () => {
    const table = await cli(["cron", "list"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^NAME\s+TASK\s+CRON\s+TIMEZONE\s+STATE\s+NEXT SLOT\s+LAST RUN\s+MISSED\s+OVERLAP\s+SKIPPED$/,
    );
    expect(lines[1]).toMatch(
      /^cli-hourly\s+cli-report\s+0 \* \* \* \*\s+UTC\s+active\s+\S+Z\s+-\s+skip\s+allow\s+0$/,
    );
    expect(lines[2]).toMatch(
      /^cli-nightly\s+cli-report\s+0 2 \* \* \*\s+Europe\/Paris\s+active\s+\S+Z\s+-\s+all\/6h\s+skip\s+0$/,
    );

    const json = await cli(["cron", "list", "--json"]);
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as ScheduleInfo[];
    expect(list.map((info) => [info.name, info.task, info.paused])).toEqual([
      ["cli-hourly", "cli-report", false],
      ["cli-nightly", "cli-report", false],
    ]);
    expect(list[1]).toMatchObject({ timezone: "Europe/Paris", catchUpWindow: 21_600_000, input: { x: 1 } });
  });

  it("pause and resume round trip, with --namespace instead of the environment", async () => {
    const paused = await cli(["cron", "pause", "cli-nightly", "--namespace", namespace], {});
    expect(paused).toMatchObject({ code: 0, stdout: "Paused cron schedule 'cli-nightly'.\n" });
    expect((await schedules.get("cli-nightly"))?.paused).toBe(true);
    expect((await cli(["cron", "list"])).stdout).toMatch(/cli-nightly .* paused /);

    const resumed = await cli(["cron", "resume", "cli-nightly"]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^Resumed cron schedule 'cli-nightly'; .*missedRuns "all"/);
    expect((await schedules.get("cli-nightly"))?.paused).toBe(false);
  });

  it("trigger enqueues one run now and prints its job id", async () => {
    const before = await schedules.get("cli-nightly");
    const started = Date.now();
    const triggered = await cli(["cron", "trigger", "cli-nightly"]);
    expect(triggered.code).toBe(0);
    expect(triggered.stderr).toMatch(/triggered cron schedule 'cli-nightly'/);
    const jobId = triggered.stdout.trim();
    const hash = await redis.hgetall(`${namespace}:{cli-report}:job:${jobId}`);
    expect(hash.status).toBe("queued");
    expect(JSON.parse(hash.input ?? "null")).toEqual({ x: 1 });
    const origin = JSON.parse(hash.origin ?? "null") as { scheduledFor: number };
    expect(origin).toMatchObject({ kind: "cron", schedule: "cli-nightly", catchUp: false });
    expect(origin.scheduledFor).toBeGreaterThanOrEqual(started);
    expect((await schedules.get("cli-nightly"))?.cursor).toBe(before?.cursor);
  });

  it("an unknown name exits with 2 and lists the schedules", async () => {
    const results = await Promise.all(
      [["pause"], ["resume"], ["trigger"], ["remove", "--yes"]].map(([command, ...flags]) =>
        cli(["cron", command ?? "", "nope", ...flags]),
      ),
    );
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        "upnext: No cron schedule named 'nope'. Schedules: cli-hourly, cli-nightly.\n",
      );
    }
  });

  it("remove asks for --yes, then deletes the schedule", async () => {
    const refused = await cli(["cron", "remove", "cli-hourly"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Would remove cron schedule 'cli-hourly' .* --yes/);
    expect(await schedules.get("cli-hourly")).toBeDefined();

    const removed = await cli(["cron", "remove", "cli-hourly", "--yes"]);
    expect(removed).toMatchObject({ code: 0, stdout: "Removed cron schedule 'cli-hourly'.\n" });
    expect(await schedules.get("cli-hourly")).toBeUndefined();
    expect((await schedules.list()).map((info) => info.name)).toEqual(["cli-nightly"]);
  });
});
