/**
 * Loads a user's entry file and collects the Worker objects it exports, for every command that
 * acts on an application's workers (run, call, and later cron, dlq, ...). Loading never starts
 * a worker or opens a connection: a Worker connects on first use, so commands that only submit
 * or inspect can load the same file a production worker runs.
 */
import { UnknownTaskError } from "@upnext/core";
import { stat } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureTypeScriptLoader } from "../runtime/typescript-loader.js";
import type { TaskHandle } from "../sdk/task-handle.js";
import { Worker } from "../sdk/worker.js";
import { CliError, errorCode, messageOf, oneLine } from "./cli-error.js";

export interface LoadedEntry {
  /** Absolute path of the entry file. */
  readonly path: string;
  /** Every distinct Worker the file exports (named exports and default), in export order. */
  readonly workers: readonly Worker[];
}

export interface EntryTask {
  readonly worker: Worker;
  readonly task: TaskHandle;
}

export interface LoadEntryOptions {
  /** Directory a relative entry path is resolved against (default: the process's cwd). */
  readonly cwd?: string;
}

/** How the entry is named in messages: relative to cwd when that is shorter, so errors stay short. */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel.length > 0 && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

async function checkFile(path: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch {
    throw new CliError(`Entry file not found: ${displayPath(path)}`);
  }
  if (!isFile)
    throw new CliError(`Entry ${displayPath(path)} is not a file; give the file that exports your workers.`);
}

/** A Worker from another copy of the package fails `instanceof`; spot it so the error can say why. */
function looksLikeWorker(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { tasks?: unknown; start?: unknown; stop?: unknown; name?: unknown };
  return (
    candidate.tasks instanceof Map &&
    typeof candidate.start === "function" &&
    typeof candidate.stop === "function" &&
    typeof candidate.name === "string"
  );
}

function noWorkerHint(lookalikes: readonly string[]): string {
  if (lookalikes.length === 0)
    return 'Export each worker, e.g. `export const worker = new Worker({ name: "emails" })`.';
  const names = lookalikes.map((name) => `'${name}'`).join(", ");
  const verb = lookalikes.length === 1 ? "looks like a Worker" : "look like Workers";
  return `${names} ${verb} from another copy of the upnext package; run the upnext CLI installed next to your code.`;
}

/** Every distinct Worker the module exports (none is not an error here). */
export function exportedWorkers(namespace: Record<string, unknown>): Worker[] {
  return [...new Set(Object.values(namespace).filter((value): value is Worker => value instanceof Worker))];
}

/** The module's workers; throws (exit 2) when it has none, saying why when it can tell. */
export function collectWorkers(path: string, namespace: Record<string, unknown>): Worker[] {
  const workers = exportedWorkers(namespace);
  if (workers.length > 0) return workers;
  const lookalikes = Object.entries(namespace)
    .filter(([, value]) => looksLikeWorker(value))
    .map(([exportName]) => exportName);
  throw new CliError(`${displayPath(path)} exports no Worker. ${noWorkerHint(lookalikes)}`);
}

export interface EntryModule {
  /** Absolute path of the entry file. */
  readonly path: string;
  readonly namespace: Record<string, unknown>;
}

/**
 * Imports the entry file (absolute, or relative to `cwd`; a TypeScript file through tsx or Node's
 * type stripping, see runtime/typescript-loader.ts) and returns the workers it exports. Throws a
 * CliError (exit 2) when the file is missing, fails to load (or is TypeScript with no way to load
 * it), or exports no Worker.
 */
export async function loadEntry(entry: string, options: LoadEntryOptions = {}): Promise<LoadedEntry> {
  const { path, namespace } = await importEntry(entry, options);
  return { path, workers: collectWorkers(path, namespace) };
}

/** Imports the entry file and answers all it exports; throws a CliError when it cannot. */
export async function importEntry(entry: string, options: LoadEntryOptions = {}): Promise<EntryModule> {
  const path = resolve(options.cwd ?? process.cwd(), entry);
  await checkFile(path);
  let namespace: Record<string, unknown>;
  try {
    await ensureTypeScriptLoader(path);
    namespace = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    // A Worker the file creates reads the configuration: a bad setting (UPNEXT_REDIS_URL, say)
    // is reported as itself, naming the variable and value, not blamed on the file.
    if (errorCode(error) === "invalid_config") throw error;
    throw new CliError(
      `Cannot load entry file ${displayPath(path)}: ${oneLine(messageOf(error))}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  return { path, namespace };
}

/** Every task of the entry's workers, in worker then definition order. */
export function entryTasks(loaded: LoadedEntry): EntryTask[] {
  return loaded.workers.flatMap((worker) => [...worker.tasks.values()].map((task) => ({ worker, task })));
}

/**
 * The task named `name`. When two workers define it, the first wins: both consume the same
 * queue, so a submission through either reaches the same jobs.
 */
export function findTask(loaded: LoadedEntry, name: string): EntryTask {
  const tasks = entryTasks(loaded);
  const found = tasks.find((entry) => entry.task.name === name);
  if (found) return found;
  throw new UnknownTaskError(name, [...new Set(tasks.map((entry) => entry.task.name))].sort());
}

/** The workers whose name is in `names`; every name must match at least one worker. */
export function selectWorkers(loaded: LoadedEntry, names: readonly string[]): Worker[] {
  const wanted = new Set(names);
  const known = new Set(loaded.workers.map((worker) => worker.name));
  const missing = [...wanted].filter((name) => !known.has(name));
  if (missing.length > 0) {
    throw new CliError(
      `No worker named ${missing.map((name) => `'${name}'`).join(", ")} in ${displayPath(loaded.path)}. Workers: ${[...known].join(", ")}.`,
    );
  }
  return loaded.workers.filter((worker) => wanted.has(worker.name));
}

/**
 * Stops workers (started or not: stop() also closes a producer's connection so the process can
 * exit). Every worker is stopped even when one fails; the first failure is rethrown.
 */
export async function stopWorkers(workers: readonly Worker[], reason?: string): Promise<void> {
  const results = await Promise.allSettled(workers.map((worker) => worker.stop(reason)));
  const failure = results.find((result) => result.status === "rejected");
  if (failure) throw failure.reason;
}
