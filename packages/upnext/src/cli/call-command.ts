/**
 * `upnext call <entry> <task>`: submits one job through the task defined in an entry file
 * (so the task's own schema validates the input) without starting any worker, and optionally
 * waits for its result.
 *
 * Output is meant for scripts: without --wait stdout is the job id; with --wait stdout is only
 * the JSON result (the id goes to stderr), so `upnext call ... --wait | jq` works.
 */
import { parseDuration, type Duration } from "@upnext/core";
import { getConfig } from "../runtime/process-config.js";
import { streamLogger } from "../runtime/observability/logger.js";
import type { Command } from "commander";
import type { SubmitOptions, TaskHandle } from "../sdk/task-handle.js";
import { CliError, EXIT_FAILURE, errorCode, messageOf } from "./cli-error.js";
import { findTask, loadEntry, stopWorkers } from "./load-entry.js";

export interface CallOptions {
  /** The input as JSON text (default: null). */
  readonly input?: string | undefined;
  readonly wait?: boolean | undefined;
  /** How long --wait waits (default: until the job finishes). */
  readonly timeout?: Duration | undefined;
  readonly delay?: Duration | undefined;
  readonly idempotencyKey?: string | undefined;
  /** Run the handler in this process (task.execute) instead of submitting a job. */
  readonly inline?: boolean | undefined;
  readonly stdout?: (line: string) => void;
  readonly stderr?: (line: string) => void;
}

/** Outcomes of waiting that belong to the job (or the wait), not to the CLI: exit 1, no CLI stack. */
const JOB_OUTCOME_CODES = new Set(["task_failed", "task_timeout", "task_cancelled", "wait_timeout"]);

function writer(stream: NodeJS.WriteStream): (line: string) => void {
  return (line) => {
    stream.write(`${line}\n`);
  };
}

function parseInput(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(
      `--input is not valid JSON (${messageOf(error)}); quote it for your shell, e.g. --input '{"n": 1}'.`,
    );
  }
}

/** The job's remote stack, shown with --verbose: it says where the handler threw. */
function remoteStack(error: unknown): string | undefined {
  const info = (error as { error?: { stack?: unknown } }).error;
  return typeof info?.stack === "string" ? info.stack : undefined;
}

/**
 * `--inline`: one attempt in this process, no queue. stdout is the JSON result, as with --wait;
 * what the job reported goes to stderr; a failed attempt exits 1.
 */
async function callInline(
  task: TaskHandle,
  input: unknown,
  options: CallOptions,
  stdout: (line: string) => void,
  stderr: (line: string) => void,
): Promise<void> {
  for (const [flag, given] of [
    ["--wait", options.wait],
    ["--delay", options.delay],
    ["--idempotency-key", options.idempotencyKey],
  ] as const) {
    if (given !== undefined) throw new CliError(`${flag} does not apply with --inline (nothing is queued).`);
  }
  // stdout carries only the result, so the job's log lines go to stderr.
  const logger = streamLogger(process.stderr, getConfig().logLevel);
  const run = await task.execute(input, {
    logger,
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  });
  for (const entry of run.progress)
    stderr(
      `upnext: progress ${String(Math.round(entry.value * 100))}%${entry.message ? ` ${entry.message}` : ""}`,
    );
  for (const entry of run.checkpoints)
    stderr(`upnext: checkpoint v${String(entry.version)} ${JSON.stringify(entry.state)}`);
  for (const entry of run.metrics) stderr(`upnext: metric ${entry.name}=${String(entry.value)}`);
  for (const entry of run.artifacts)
    stderr(
      `upnext: artifact ${entry.name} (${entry.contentType}, ${String(entry.data.length)} bytes; not stored)`,
    );
  if (run.status === "complete") {
    stdout(JSON.stringify(run.result ?? null));
    return;
  }
  if (run.status === "cancelled")
    throw new CliError(`Inline run of '${task.name}' was cancelled.`, EXIT_FAILURE);
  const retry = run.status === "retrying" ? "; a worker would retry it" : "";
  throw new CliError(
    `Inline run of '${task.name}' failed (${run.reason}): ${run.error.name}: ${run.error.message}${retry}`,
    EXIT_FAILURE,
    { detail: run.error.stack },
  );
}

export async function callTask(entry: string, taskName: string, options: CallOptions = {}): Promise<void> {
  const stdout = options.stdout ?? writer(process.stdout);
  const stderr = options.stderr ?? writer(process.stderr);
  const loaded = await loadEntry(entry);
  let succeeded = false;
  try {
    const { task } = findTask(loaded, taskName);
    const input = parseInput(options.input);
    if (options.inline === true) {
      await callInline(task, input, options, stdout, stderr);
      succeeded = true;
      return;
    }
    if (options.timeout !== undefined && options.wait !== true) {
      throw new CliError("--timeout only applies with --wait.");
    }
    // Checked before submitting: a bad --timeout must not leave a job behind.
    const timeout = options.timeout === undefined ? undefined : parseDuration(options.timeout, "--timeout");
    const submitOptions: SubmitOptions = {
      ...(options.delay !== undefined ? { delay: options.delay } : {}),
      ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
    };
    const ref = await task.submit(input, submitOptions);
    if (options.wait !== true) {
      stdout(ref.id);
      succeeded = true;
      return;
    }
    stderr(`upnext: job ${ref.id} submitted to '${task.name}'; waiting for its result`);
    let result: unknown;
    try {
      result = await ref.result(timeout === undefined ? {} : { timeout });
    } catch (error) {
      const code = errorCode(error);
      if (code !== undefined && JOB_OUTCOME_CODES.has(code)) {
        throw new CliError(messageOf(error), EXIT_FAILURE, { cause: error, detail: remoteStack(error) });
      }
      throw error;
    }
    stdout(JSON.stringify(result ?? null));
    succeeded = true;
  } finally {
    // Loading never starts a worker, but submitting opened the task's connection; closing it
    // (and any other) lets the process end. A failure to close must not hide the real error.
    await stopWorkers(loaded.workers).catch((error: unknown) => {
      if (succeeded) throw error;
    });
  }
}

export function registerCallCommand(program: Command): void {
  program
    .command("call")
    .description("Submit one job to a task defined in an entry file, without starting workers")
    .argument("<entry>", "file exporting the Worker that defines the task")
    .argument("<task>", "task name")
    .option("-i, --input <json>", "job input as JSON (default: null)")
    .option("-w, --wait", "wait for the job and print its result as JSON")
    .option(
      "--timeout <duration>",
      "with --wait: stop waiting after this long, e.g. 30s (default: no limit); with --inline: the run's time limit",
    )
    .option("--delay <duration>", "run no earlier than this long from now, e.g. 5s or 1h")
    .option("--idempotency-key <key>", "submitting the same key again returns the existing job")
    .option("--inline", "run one attempt of the handler in this process and print its result (no queue)")
    .action(async (entry: string, taskName: string, options: CallOptions) => {
      await callTask(entry, taskName, options);
    });
}
