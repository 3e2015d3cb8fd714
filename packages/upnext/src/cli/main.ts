/**
 * The `upnext` command line. Commands throw instead of exiting; this module is the one place
 * that turns an outcome into output and an exit code: 0 success, 1 failure (a job failed, or an
 * unexpected error), 2 a call that cannot work as given (see cli-error.ts).
 */
import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { registerCallCommand } from "./call-command.js";
import { CliError, EXIT_FAILURE, EXIT_USAGE, isUsageError, messageOf, oneLine } from "./cli-error.js";
import { registerCronCommand } from "./cron-command.js";
import { registerDlqCommand } from "./dlq-command.js";
import { registerFunctionCommand } from "./function-command.js";
import { registerHealthCommand } from "./health-command.js";
import { registerInitCommand } from "./init-command.js";
import { registerJobCommand } from "./job-command.js";
import { registerListCommands } from "./list-command.js";
import { registerRunCommand } from "./run-command.js";
import { registerServerCommand } from "./server-command.js";

function packageVersion(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  const { version } = JSON.parse(text) as { version?: unknown };
  return typeof version === "string" ? version : "unknown";
}

export function buildProgram(): Command {
  const program = new Command("upnext")
    .description("Background jobs, cron schedules, events and workflows on Redis.")
    .version(packageVersion(), "-V, --version", "print the version")
    .option("--verbose", "print stack traces of unexpected errors (also on with UPNEXT_LOG_LEVEL=debug)")
    // Set before the commands are added: subcommands copy these settings when created.
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => {
        write(`upnext: ${oneLine(text.replace(/^error: /, ""))}\n`);
      },
    });
  registerRunCommand(program);
  registerCallCommand(program);
  registerCronCommand(program);
  registerDlqCommand(program);
  registerFunctionCommand(program);
  registerServerCommand(program);
  registerJobCommand(program);
  registerListCommands(program);
  registerHealthCommand(program);
  registerInitCommand(program);
  return program;
}

function wantsStacks(program: Command): boolean {
  const level = process.env.UPNEXT_LOG_LEVEL?.trim().toLowerCase();
  return program.opts<{ verbose?: boolean }>().verbose === true || level === "debug" || level === "trace";
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}

/** Prints `error` as one `upnext: ` line (plus stacks when verbose) and returns the exit code. */
function report(error: unknown, verbose: boolean): number {
  // Commander has already printed its own message (through outputError) or the help.
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;

  const lines: string[] = [];
  let code: number;
  if (error instanceof CliError) {
    code = error.exitCode;
    lines.push(`upnext: ${oneLine(error.message)}`);
    // A job's own stack says more than where the CLI noticed the failure.
    if (verbose) lines.push(error.detail ?? stackOf(error.cause) ?? "");
  } else if (isUsageError(error)) {
    // The message says what to fix; where the library noticed it would only be noise.
    code = EXIT_USAGE;
    lines.push(`upnext: ${oneLine(messageOf(error))}`);
  } else {
    code = EXIT_FAILURE;
    const name = error instanceof Error ? error.name : "Error";
    const stack = stackOf(error);
    lines.push(
      `upnext: ${name}: ${oneLine(messageOf(error))}${verbose || stack === undefined ? "" : " (--verbose shows the stack)"}`,
    );
    if (verbose && stack !== undefined) lines.push(stack);
  }
  process.stderr.write(`${lines.filter((line) => line.length > 0).join("\n")}\n`);
  return code;
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    stream.write("", () => {
      resolve();
    });
  });
}

/**
 * Exits explicitly once output is flushed: an entry file may hold handles of its own (a database
 * pool, a timer) that would otherwise keep a finished `call` alive.
 */
async function exit(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

/** Runs the CLI. Long-running commands (`run`) never return; the others exit with their code. */
export async function main(argv: readonly string[] = process.argv): Promise<never> {
  const program = buildProgram();
  let code = 0;
  try {
    await program.parseAsync(argv);
  } catch (error) {
    code = report(error, wantsStacks(program));
  }
  return exit(code);
}
