/**
 * `upnext cron list|pause|resume|remove|trigger`: manage the namespace's cron schedules from
 * Redis alone (no entry file; running workers notice changes within a second). Connection from
 * UPNEXT_REDIS_URL and UPNEXT_NAMESPACE, or --redis and --namespace.
 *
 * stdout carries the data (a table, a job id, a one-line confirmation, or JSON with --json);
 * notes go to stderr. An unknown schedule name exits with 2; `remove` without --yes only says
 * what it would delete (exit 2).
 */
import type { Command } from "commander";
import { Schedules, type ScheduleInfo } from "../sdk/schedules.js";
import { addConnectionFlags, explainUnreachable, standaloneOptions } from "./admin-connection.js";
import { formatTable } from "./text-table.js";
import { CliError, EXIT_USAGE, errorCode, messageOf } from "./cli-error.js";

export interface CronIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

interface CronFlags {
  readonly redis?: string;
  readonly namespace?: string;
  readonly json?: boolean;
}

interface RemoveFlags extends CronFlags {
  readonly yes?: boolean;
}

function defaultIo(): CronIo {
  return {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
  };
}

function openSchedules(flags: CronFlags): Schedules {
  return new Schedules(standaloneOptions(flags));
}

/** Opens the connection, runs `work`, closes; turns library errors into what a person should read. */
async function withSchedules(flags: CronFlags, work: (schedules: Schedules) => Promise<void>): Promise<void> {
  const schedules = openSchedules(flags);
  try {
    await work(schedules);
  } catch (error) {
    if (errorCode(error) === "schedule_not_found") {
      throw new CliError(messageOf(error), EXIT_USAGE, { cause: error });
    }
    explainUnreachable(error, flags);
  } finally {
    await schedules.close().catch(() => undefined);
  }
}

function iso(ms: number | null): string {
  return ms === null ? "-" : new Date(ms).toISOString().replace(".000Z", "Z");
}

function missedColumn(info: ScheduleInfo): string {
  if (info.missedRuns !== "all") return info.missedRuns;
  const hours = info.catchUpWindow / 3_600_000;
  return Number.isInteger(hours) ? `all/${hours}h` : `all/${Math.round(info.catchUpWindow / 1_000)}s`;
}

export async function listSchedules(flags: CronFlags, io: CronIo = defaultIo()): Promise<void> {
  await withSchedules(flags, async (schedules) => {
    const list = await schedules.list();
    if (flags.json === true) {
      io.stdout(JSON.stringify(list, null, 2));
      return;
    }
    if (list.length === 0) {
      io.stderr("upnext: no cron schedules in this namespace");
      return;
    }
    const rows = list.map((info) => [
      info.name,
      info.task,
      info.cron,
      info.timezone,
      info.paused ? "paused" : "active",
      iso(info.nextSlot),
      info.lastRun ? `${iso(info.lastRun.slot)} ${info.lastRun.status}` : "-",
      missedColumn(info),
      info.overlap,
      String(info.skippedSlots),
    ]);
    for (const line of formatTable([
      ["NAME", "TASK", "CRON", "TIMEZONE", "STATE", "NEXT SLOT", "LAST RUN", "MISSED", "OVERLAP", "SKIPPED"],
      ...rows,
    ]))
      io.stdout(line);
  });
}

export async function setSchedulePaused(
  name: string,
  paused: boolean,
  flags: CronFlags,
  io: CronIo = defaultIo(),
): Promise<void> {
  await withSchedules(flags, async (schedules) => {
    const info = paused ? await schedules.pause(name) : await schedules.resume(name);
    if (flags.json === true) io.stdout(JSON.stringify(info, null, 2));
    else if (paused) io.stdout(`Paused cron schedule '${name}'.`);
    else
      io.stdout(
        `Resumed cron schedule '${name}'; slots missed while paused follow missedRuns "${info.missedRuns}". Next slot: ${iso(info.nextSlot)}.`,
      );
  });
}

export async function removeSchedule(
  name: string,
  flags: RemoveFlags,
  io: CronIo = defaultIo(),
): Promise<void> {
  await withSchedules(flags, async (schedules) => {
    const info = await schedules.get(name);
    if (!info) {
      const known = (await schedules.list()).map((schedule) => schedule.name);
      throw new CliError(
        `No cron schedule named '${name}'. Schedules: ${known.length > 0 ? known.join(", ") : "(none)"}.`,
      );
    }
    if (flags.yes !== true) {
      throw new CliError(
        `Would remove cron schedule '${name}' (task '${info.task}', "${info.cron}" ${info.timezone}); run again with --yes to delete it. Jobs it already created are kept.`,
      );
    }
    await schedules.remove(name);
    if (flags.json === true) io.stdout(JSON.stringify({ removed: name }));
    else io.stdout(`Removed cron schedule '${name}'.`);
  });
}

export async function triggerSchedule(
  name: string,
  flags: CronFlags,
  io: CronIo = defaultIo(),
): Promise<void> {
  await withSchedules(flags, async (schedules) => {
    const ref = await schedules.trigger(name);
    if (flags.json === true) {
      io.stdout(JSON.stringify({ schedule: name, jobId: ref.id, task: ref.functionName }));
      return;
    }
    io.stderr(`upnext: triggered cron schedule '${name}': a job of task '${ref.functionName}'`);
    io.stdout(ref.id);
  });
}

function connectionOptions(command: Command): Command {
  return addConnectionFlags(command).option("--json", "print JSON instead of text");
}

export function registerCronCommand(program: Command): void {
  const cron = program
    .command("cron")
    .description("List, pause, resume, remove and trigger cron schedules, from Redis alone");

  connectionOptions(cron.command("list"))
    .description("List the cron schedules with their state and next slot")
    .action(async (flags: CronFlags) => {
      await listSchedules(flags);
    });

  connectionOptions(cron.command("pause"))
    .description("Stop firing a schedule (missed slots follow its missed-run policy on resume)")
    .argument("<name>", "schedule name")
    .action(async (name: string, flags: CronFlags) => {
      await setSchedulePaused(name, true, flags);
    });

  connectionOptions(cron.command("resume"))
    .description("Fire a paused schedule again")
    .argument("<name>", "schedule name")
    .action(async (name: string, flags: CronFlags) => {
      await setSchedulePaused(name, false, flags);
    });

  connectionOptions(cron.command("remove"))
    .description("Delete a schedule (the jobs it created are kept)")
    .argument("<name>", "schedule name")
    .option("--yes", "really delete it")
    .action(async (name: string, flags: RemoveFlags) => {
      await removeSchedule(name, flags);
    });

  connectionOptions(cron.command("trigger"))
    .description("Enqueue one run of a schedule now (its cursor does not move); prints the job id")
    .argument("<name>", "schedule name")
    .action(async (name: string, flags: CronFlags) => {
      await triggerSchedule(name, flags);
    });
}
