/**
 * `upnext run <entry>`: starts the workers an entry file exports and keeps them running until
 * SIGINT/SIGTERM, which stops them gracefully (prefetched jobs are handed back at once,
 * running ones get UPNEXT_SHUTDOWN_TIMEOUT to finish and are handed back after it) and exits 0.
 */
import type { Command } from "commander";
import { stopOnSignals } from "../runtime/shutdown-signals.js";
import type { Worker } from "../sdk/worker.js";
import { CliError } from "./cli-error.js";
import { displayPath, loadEntry, selectWorkers, stopWorkers } from "./load-entry.js";

export interface RunOptions {
  /** Names of the workers to start (default: all). */
  readonly only?: readonly string[] | undefined;
  /** Where status lines go (default: stderr, so stdout carries only the JSON logs). */
  readonly write?: (line: string) => void;
}

function describeWorker(worker: Worker): string {
  const tasks = [...worker.tasks.keys()].join(", ");
  return `upnext: worker '${worker.name}' started (${worker.workerId ?? "?"}); tasks: ${tasks}`;
}

/**
 * Starts the workers and resolves once they are all running. Shutting down is left to the
 * shared signal handler, which exits the process when every worker has stopped.
 */
export async function startWorkers(entry: string, options: RunOptions = {}): Promise<Worker[]> {
  const write =
    options.write ??
    ((line: string) => {
      process.stderr.write(`${line}\n`);
    });
  const loaded = await loadEntry(entry);
  const workers =
    options.only && options.only.length > 0 ? selectWorkers(loaded, options.only) : [...loaded.workers];
  const idle = workers.filter((worker) => worker.tasks.size === 0);
  if (idle.length > 0) {
    const names = idle.map((worker) => `'${worker.name}'`).join(", ");
    throw new CliError(
      `Worker ${names} in ${displayPath(loaded.path)} has no tasks; define one with worker.task(...) or leave it out with --only.`,
    );
  }

  // Each Worker registers its own signal stop only once it has started, and not at all with
  // `handleSignals: false`. Under `upnext run` the CLI owns the process, so it stops every
  // worker it started, including during startup; stop() is idempotent, so the overlap with a
  // worker's own registration is harmless.
  const unregister = stopOnSignals(() => stopWorkers(workers, "signal"));
  const started = await Promise.allSettled(workers.map((worker) => worker.start()));
  const failure = started.find((result) => result.status === "rejected");
  if (failure) {
    unregister();
    await stopWorkers(workers, "start failed").catch(() => undefined);
    throw failure.reason;
  }
  for (const worker of workers) write(describeWorker(worker));
  return workers;
}

function collectNames(value: string, previous: string[] = []): string[] {
  const names = value
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  return [...previous, ...names];
}

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("Start the workers exported by an entry file; stop gracefully on SIGINT/SIGTERM")
    .argument(
      "<entry>",
      "file exporting Worker objects (.ts, .mts or .js; relative to the current directory)",
    )
    .option("--only <names>", "start only these workers (comma-separated names; repeatable)", collectNames)
    .action(async (entry: string, options: { only?: string[] }) => {
      await startWorkers(entry, { only: options.only });
      // The workers' connections keep the process alive; it ends through the signal handler.
      await new Promise<never>(() => undefined);
    });
}
