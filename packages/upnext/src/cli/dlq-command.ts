/**
 * `upnext dlq list|show|replay|purge`: the dead-letter sets, from Redis alone (no entry file:
 * a replay is rebuilt from the dead job itself). Connection from UPNEXT_REDIS_URL and
 * UPNEXT_NAMESPACE, or --redis and --namespace.
 *
 * stdout carries the data (a table, the new job id, a summary, or JSON with --json); progress
 * and notes go to stderr. Replaying or purging many entries shows a progress bar on a terminal
 * and one line per batch otherwise. `purge` without --yes only says what it would delete (exit 2).
 */
import { SingleBar } from "cli-progress";
import { InvalidArgumentError, type Command } from "commander";
import { DeadLetters, type DeadLetterEntry, type DeadLetterFilter } from "../sdk/dead-letters.js";
import {
  addConnectionFlags,
  explainUnreachable,
  standaloneOptions,
  type ConnectionFlags,
} from "./admin-connection.js";
import { formatTable } from "./text-table.js";
import { CliError, EXIT_USAGE, errorCode, messageOf } from "./cli-error.js";

export interface DlqIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** Whether stderr is a terminal (a progress bar) or not (progress lines). */
  readonly interactive: boolean;
}

interface FilterFlags extends ConnectionFlags {
  readonly function?: string;
  readonly since?: number;
  readonly before?: number;
  readonly json?: boolean;
}

interface ListFlags extends FilterFlags {
  readonly limit?: number;
  readonly cursor?: string;
  readonly pending?: boolean;
}

interface ReplayFlags extends FilterFlags {
  readonly all?: boolean;
  readonly force?: boolean;
}

interface PurgeFlags extends FilterFlags {
  readonly yes?: boolean;
}

/** Errors that mean the id given does not name a replayable entry: fix the call (exit 2). */
const BAD_ID_CODES = new Set(["job_not_found", "not_dead_lettered", "already_replayed"]);

const DURATION_AGO = /^(\d+(\.\d+)?(ms|s|m|h|d))+$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "2h" (that long ago) or an ISO 8601 date / date-time, as epoch ms. */
export function parseWhen(text: string, flag: string, now: number = Date.now()): number {
  const value = text.trim();
  if (DURATION_AGO.test(value)) {
    let ago = 0;
    for (const [, amount, , unit] of value.toLowerCase().matchAll(/(\d+(\.\d+)?)(ms|s|m|h|d)/g)) {
      ago += Number(amount) * (UNIT_MS[unit ?? ""] ?? Number.NaN);
    }
    if (Number.isFinite(ago)) return Math.round(now - ago);
  }
  if (ISO_DATE.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new InvalidArgumentError(
    `${flag} ${JSON.stringify(text)} is not a date or a duration; give an ISO date such as 2026-03-01T12:00:00Z, or how long ago such as 2h, 30m or 7d.`,
  );
}

function parseLimit(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > 1_000) {
    throw new InvalidArgumentError(
      `--limit ${JSON.stringify(text)} is invalid; give a whole number from 1 to 1000.`,
    );
  }
  return value;
}

function defaultIo(): DlqIo {
  return {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    interactive: process.stderr.isTTY,
  };
}

function openDeadLetters(flags: ConnectionFlags): DeadLetters {
  return new DeadLetters(standaloneOptions(flags));
}

/** Opens the connection, runs `work`, closes; turns library errors into what a person should read. */
async function withDeadLetters(
  flags: ConnectionFlags,
  work: (deadLetters: DeadLetters) => Promise<void>,
): Promise<void> {
  const deadLetters = openDeadLetters(flags);
  try {
    await work(deadLetters);
  } catch (error) {
    const code = errorCode(error);
    if (code !== undefined && BAD_ID_CODES.has(code)) {
      throw new CliError(messageOf(error), EXIT_USAGE, { cause: error });
    }
    explainUnreachable(error, flags);
  } finally {
    await deadLetters.close().catch(() => undefined);
  }
}

function filterOf(flags: FilterFlags): DeadLetterFilter {
  return {
    ...(flags.function !== undefined ? { function: flags.function } : {}),
    ...(flags.since !== undefined ? { since: flags.since } : {}),
    ...(flags.before !== undefined ? { before: flags.before } : {}),
  };
}

/** What a filter selects, for messages: " of function 'x', died before 2026-...". */
function describeScope(flags: FilterFlags): string {
  const parts: string[] = [];
  if (flags.function !== undefined) parts.push(`of function '${flags.function}'`);
  if (flags.since !== undefined) parts.push(`died since ${new Date(flags.since).toISOString()}`);
  if (flags.before !== undefined) parts.push(`died before ${new Date(flags.before).toISOString()}`);
  return parts.length > 0 ? ` ${parts.join(", ")}` : "";
}

/** A --function that names nothing in the namespace is almost always a typo: say so. */
async function checkFunction(deadLetters: DeadLetters, fn: string | undefined): Promise<void> {
  if (fn === undefined) return;
  const known = await deadLetters.functions();
  if (known.includes(fn)) return;
  throw new CliError(
    `No function named '${fn}' in namespace '${deadLetters.namespace}'. Functions: ${known.length > 0 ? known.join(", ") : "(none)"}.`,
  );
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function iso(ms: number | null): string {
  return ms === null ? "-" : new Date(ms).toISOString();
}

function errorLine(entry: DeadLetterEntry): string {
  if (!entry.error) return "-";
  const text = `${entry.error.name}: ${entry.error.message}`.replace(/\s+/g, " ");
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** A bar on a terminal, one line per batch otherwise; nothing at all for an empty run. */
function progressReporter(
  label: string,
  io: DlqIo,
): { update(done: number, total: number): void; stop(): void } {
  let bar: SingleBar | undefined;
  return {
    update(done, total) {
      if (!io.interactive) {
        io.stderr(`upnext: ${label} ${done}/${total}`);
        return;
      }
      if (!bar) {
        bar = new SingleBar({
          format: `${label} [{bar}] {value}/{total} ({percentage}%) eta {eta_formatted}`,
          stream: process.stderr,
          hideCursor: true,
        });
        bar.start(total, 0);
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      bar?.stop();
    },
  };
}

export async function listDeadLetters(flags: ListFlags, io: DlqIo = defaultIo()): Promise<void> {
  await withDeadLetters(flags, async (deadLetters) => {
    await checkFunction(deadLetters, flags.function);
    const page = await deadLetters.list({
      ...filterOf(flags),
      ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
      ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
      ...(flags.pending === true ? { replayed: false } : {}),
    });
    if (flags.json === true) {
      io.stdout(JSON.stringify(page, null, 2));
      return;
    }
    if (page.entries.length === 0) {
      io.stderr(`upnext: no dead-letter entries${describeScope(flags)}`);
    } else {
      const rows = page.entries.map((entry) => [
        entry.jobId,
        entry.function,
        iso(entry.failedAt),
        entry.reason,
        `${entry.attempts}/${entry.maxAttempts}`,
        entry.replayedAs ?? "-",
        errorLine(entry),
      ]);
      for (const line of formatTable([
        ["JOB", "FUNCTION", "FAILED AT", "REASON", "ATTEMPTS", "REPLAYED AS", "ERROR"],
        ...rows,
      ]))
        io.stdout(line);
    }
    if (page.nextCursor !== null) io.stderr(`upnext: more entries: add --cursor ${page.nextCursor}`);
  });
}

function showLines(entry: DeadLetterEntry): string[] {
  const lines: string[] = [];
  const field = (name: string, value: string) => lines.push(`${`${name}:`.padEnd(12)}${value}`);
  field("job", entry.jobId);
  field("function", entry.function);
  field("reason", entry.reason);
  field("attempts", `${entry.attempts} of ${entry.maxAttempts}`);
  field("created", iso(entry.createdAt));
  field("failed", iso(entry.failedAt));
  if (entry.origin) field("origin", JSON.stringify(entry.origin));
  field(
    "replayed",
    entry.replayedAs === null
      ? "no"
      : `as ${entry.replayedAs} at ${iso(entry.replayedAt)}${entry.replays > 1 ? ` (${plural(entry.replays, "time", "times")})` : ""}`,
  );
  if (Object.keys(entry.tags).length > 0) field("tags", JSON.stringify(entry.tags));
  if (Object.keys(entry.metadata).length > 0) field("metadata", JSON.stringify(entry.metadata));
  field("error", entry.error ? `${entry.error.name}: ${entry.error.message}` : "-");
  lines.push("input:");
  for (const line of JSON.stringify(entry.input, null, 2).split("\n")) lines.push(`  ${line}`);
  if (entry.error?.stack !== undefined) {
    lines.push("stack:");
    for (const line of entry.error.stack.split("\n")) lines.push(`  ${line}`);
  }
  return lines;
}

export async function showDeadLetter(id: string, flags: FilterFlags, io: DlqIo = defaultIo()): Promise<void> {
  await withDeadLetters(flags, async (deadLetters) => {
    const entry = await deadLetters.get(id);
    if (flags.json === true) io.stdout(JSON.stringify(entry, null, 2));
    else for (const line of showLines(entry)) io.stdout(line);
  });
}

export async function replayDeadLetters(
  id: string | undefined,
  flags: ReplayFlags,
  io: DlqIo = defaultIo(),
): Promise<void> {
  const filtered = flags.function !== undefined || flags.since !== undefined || flags.before !== undefined;
  if (id !== undefined && flags.all === true) throw new CliError("Give a job id or --all, not both.");
  if (id === undefined && flags.all !== true) {
    throw new CliError("Give the id of a dead-lettered job, or --all (with --function, --since, --before).");
  }
  if (id !== undefined && filtered) {
    throw new CliError(
      "--function, --since and --before select entries for --all; drop them to replay one job.",
    );
  }
  await withDeadLetters(flags, async (deadLetters) => {
    const force = flags.force === true;
    if (id !== undefined) {
      const ref = await deadLetters.replay(id, { force });
      if (flags.json === true)
        io.stdout(JSON.stringify({ jobId: id, replayedAs: ref.id, function: ref.functionName }));
      else {
        io.stderr(`upnext: replayed ${id} as a new job of '${ref.functionName}'`);
        io.stdout(ref.id);
      }
      return;
    }
    await checkFunction(deadLetters, flags.function);
    const progress = progressReporter("replayed", io);
    let result;
    try {
      result = await deadLetters.replayAll({ ...filterOf(flags), force }, (p) => {
        progress.update(p.done, p.total);
      });
    } finally {
      progress.stop();
    }
    if (flags.json === true) io.stdout(JSON.stringify(result));
    else {
      const skipped = result.skipped > 0 ? `; ${result.skipped} skipped (already replayed, or gone)` : "";
      io.stdout(
        `Replayed ${plural(result.replayed, "dead-letter entry", "dead-letter entries")}${describeScope(flags)}${skipped}.`,
      );
    }
  });
}

export async function purgeDeadLetters(flags: PurgeFlags, io: DlqIo = defaultIo()): Promise<void> {
  await withDeadLetters(flags, async (deadLetters) => {
    await checkFunction(deadLetters, flags.function);
    const filter = filterOf(flags);
    if (flags.yes !== true) {
      const count = await deadLetters.count(filter);
      throw new CliError(
        `Would purge ${plural(count, "dead-letter entry", "dead-letter entries")}${describeScope(flags)} in namespace '${deadLetters.namespace}'; run again with --yes to delete them.`,
      );
    }
    const progress = progressReporter("purged", io);
    let result;
    try {
      result = await deadLetters.purge(filter, (p) => {
        progress.update(p.done, p.total);
      });
    } finally {
      progress.stop();
    }
    if (flags.json === true) io.stdout(JSON.stringify(result));
    else
      io.stdout(
        `Purged ${plural(result.purged, "dead-letter entry", "dead-letter entries")}${describeScope(flags)}.`,
      );
  });
}

function connectionOptions(command: Command): Command {
  return addConnectionFlags(command).option("--json", "print JSON instead of text");
}

function filterOptions(command: Command): Command {
  return command
    .option("--function <name>", "only this function (task)")
    .option(
      "--since <when>",
      "only jobs that died at or after this: ISO date, or how long ago (2h)",
      (text) => parseWhen(text, "--since"),
    )
    .option("--before <when>", "only jobs that died before this: ISO date, or how long ago (7d)", (text) =>
      parseWhen(text, "--before"),
    );
}

export function registerDlqCommand(program: Command): void {
  const dlq = program
    .command("dlq")
    .description("Inspect, replay and purge dead-lettered jobs (failed for good), from Redis alone");

  connectionOptions(filterOptions(dlq.command("list")))
    .description("List dead-letter entries, newest first")
    .option("--limit <n>", "entries per page, 1-1000 (default 50)", parseLimit)
    .option("--cursor <cursor>", "continue after the previous page (printed when there are more)")
    .option("--pending", "only entries not replayed yet")
    .action(async (flags: ListFlags) => {
      await listDeadLetters(flags);
    });

  connectionOptions(dlq.command("show"))
    .description("Show one dead-lettered job: reason, error and stack, attempts, input, replays")
    .argument("<id>", "job id")
    .action(async (id: string, flags: FilterFlags) => {
      await showDeadLetter(id, flags);
    });

  connectionOptions(filterOptions(dlq.command("replay")))
    .description("Replay a dead-lettered job (or --all of them) as a new job linked to the original")
    .argument("[id]", "job id")
    .option("--all", "replay every entry selected by --function, --since and --before")
    .option("--force", "replay entries that were already replayed")
    .action(async (id: string | undefined, flags: ReplayFlags) => {
      await replayDeadLetters(id, flags);
    });

  connectionOptions(filterOptions(dlq.command("purge")))
    .description("Delete dead-letter entries and their jobs (asks for --yes)")
    .option("--yes", "really delete (without it, only say what would be deleted)")
    .action(async (flags: PurgeFlags) => {
      await purgeDeadLetters(flags);
    });
}
