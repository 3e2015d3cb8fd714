/**
 * `upnext run <entry>`: starts the workers and HTTP apps an entry file exports and keeps them
 * running until SIGINT/SIGTERM, which stops them gracefully and exits 0: the HTTP apps stop
 * accepting connections and answer the requests in flight, then the workers stop (prefetched
 * jobs are handed back at once, running ones get UPNEXT_SHUTDOWN_TIMEOUT to finish and are
 * handed back after it). A second signal exits at once.
 */
import type { Command } from "commander";
import { ApiTracker } from "../http/api-tracker.js";
import { stopOnSignals } from "../runtime/shutdown-signals.js";
import type { Worker } from "../sdk/worker.js";
import { CliError, EXIT_FAILURE } from "./cli-error.js";
import { type HttpApp, type RunningApp, findHttpApps, stopApps } from "./http-apps.js";
import {
  collectWorkers,
  displayPath,
  exportedWorkers,
  importEntry,
  selectWorkers,
  stopWorkers,
} from "./load-entry.js";

export interface RunOptions {
  /** Names of the workers to start (default: all). */
  readonly only?: readonly string[] | undefined;
  /** Where status lines go (default: stderr, so stdout carries only the JSON logs). */
  readonly write?: (line: string) => void;
  /** Where an exported Fastify/Express/Hono instance listens (default PORT or 3000, HOST or 0.0.0.0). */
  readonly port?: number;
  readonly host?: string;
}

/**
 * The one graceful stop: HTTP apps first (their requests in flight may still submit jobs), then
 * the request trackers' last reports, then the workers. Everything is stopped even when one
 * part fails; the first failure is rethrown (exit 1).
 */
async function stopAll(
  apps: readonly RunningApp[],
  workers: readonly Worker[],
  reason: string,
): Promise<void> {
  const results = await Promise.allSettled([stopApps(apps)]);
  results.push(...(await Promise.allSettled(ApiTracker.live().map((tracker) => tracker.stop()))));
  results.push(...(await Promise.allSettled([stopWorkers(workers, reason)])));
  const failure = results.find((result) => result.status === "rejected");
  if (failure) throw failure.reason;
}

function describeApp(app: RunningApp): string {
  return `upnext: HTTP app '${app.name}' (${app.kind}) started${app.url === undefined ? "" : ` on ${app.url}`}`;
}

async function startApps(
  apps: readonly HttpApp[],
  running: RunningApp[],
  options: RunOptions,
): Promise<void> {
  const port = options.port ?? portFromEnv();
  const envHost = process.env.HOST;
  const host = options.host ?? (envHost === undefined || envHost === "" ? "0.0.0.0" : envHost);
  for (const app of apps) {
    try {
      running.push(await app.start({ port, host }));
    } catch (error) {
      if (error instanceof CliError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new CliError(`HTTP app '${app.name}' (${app.kind}) did not start: ${message}`, EXIT_FAILURE, {
        cause: error,
      });
    }
  }
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
  const { path, namespace } = await importEntry(entry);
  const apps = findHttpApps(path, namespace);
  // Beside an HTTP app, a Worker without tasks is the app's producer: not started, but closed.
  const loaded = {
    path,
    workers: apps.length > 0 ? exportedWorkers(namespace) : collectWorkers(path, namespace),
  };
  const selected =
    options.only && options.only.length > 0 ? selectWorkers(loaded, options.only) : [...loaded.workers];
  const producers = apps.length > 0 ? selected.filter((worker) => worker.tasks.size === 0) : [];
  const workers = selected.filter((worker) => !producers.includes(worker));
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
  const running: RunningApp[] = [];
  const everyWorker = [...workers, ...producers];
  const unregister = stopOnSignals(() => stopAll(running, everyWorker, "signal"));
  const started = await Promise.allSettled(workers.map((worker) => worker.start()));
  const failure = started.find((result) => result.status === "rejected");
  if (failure) {
    unregister();
    await stopAll(running, everyWorker, "start failed").catch(() => undefined);
    throw failure.reason;
  }
  for (const worker of workers) write(describeWorker(worker));
  try {
    await startApps(apps, running, options);
  } catch (error) {
    unregister();
    await stopAll(running, everyWorker, "start failed").catch(() => undefined);
    throw error;
  }
  for (const app of running) write(describeApp(app));
  return workers;
}

function portFromEnv(): number {
  const text = process.env.PORT;
  return text === undefined || text === "" ? 3000 : parsePort(text);
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65_535) {
    throw new CliError(
      `Invalid port ${JSON.stringify(text)}: give a whole number from 0 to 65535 (0: any free port).`,
    );
  }
  return port;
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
    .description(
      "Start the workers and HTTP apps exported by an entry file; stop gracefully on SIGINT/SIGTERM",
    )
    .argument(
      "<entry>",
      "file exporting Workers and/or an HTTP app: a Fastify, Express or Hono instance, or a serve() function (.ts, .mts or .js)",
    )
    .option("--only <names>", "start only these workers (comma-separated names; repeatable)", collectNames)
    .option("--port <port>", "port of an exported app instance (default: PORT, else 3000)", parsePort)
    .option("--host <host>", "address of an exported app instance (default: HOST, else 0.0.0.0)")
    .action(async (entry: string, options: { only?: string[]; port?: number; host?: string }) => {
      await startWorkers(entry, { only: options.only, port: options.port, host: options.host });
      // The workers' connections keep the process alive; it ends through the signal handler.
      await new Promise<never>(() => undefined);
    });
}
