/**
 * The manifest of an entry file: everything it defines (workers, tasks, cron schedules, event
 * handlers) with its resolved options, built from the loaded file alone (no Redis). `upnext
 * inspect` prints it as JSON for deploy tooling and `upnext list` as one table; the JSON shape
 * is documented in docs/cli.md. Each kind of definition is one entry of SECTIONS: its key in the
 * JSON, how to collect its items from the entry, and its row in the table.
 */
import { formatDuration } from "@upnext/core";
import type { WorkerSettings } from "../sdk/worker.js";
import { displayPath, type LoadedEntry } from "./load-entry.js";

/** Bumped when a field is removed or changes meaning (adding one does not). */
export const MANIFEST_VERSION = 1;

export interface WorkerItem {
  readonly name: string;
  readonly settings: WorkerSettings;
  readonly tasks: readonly string[];
}

export interface TaskItem {
  readonly name: string;
  readonly worker: string;
  /** What submits its jobs besides callers: a cron schedule or an event subscription. */
  readonly trigger: "cron" | "event" | null;
  /** The task's resolved options, as published in the function registry. */
  readonly options: Readonly<Record<string, unknown>>;
}

export interface CronItem {
  readonly name: string;
  readonly worker: string;
  readonly task: string;
  readonly cron: string;
  readonly timezone: string;
  readonly missedRuns: string;
  readonly catchUpWindowMs: number;
  readonly overlap: string;
  readonly input: unknown;
}

export interface EventItem {
  readonly handler: string;
  readonly worker: string;
  /** An event name, or a pattern (`*` one segment, `**` any number). */
  readonly pattern: string;
}

/** One line of `upnext list`. */
export interface ListRow {
  readonly name: string;
  readonly worker: string;
  readonly detail: string;
}

interface Section<T> {
  /** The KIND column of `upnext list`. */
  readonly kind: string;
  readonly collect: (loaded: LoadedEntry) => T[];
  readonly row: (item: T) => ListRow;
}

function section<T>(definition: Section<T>): Section<T> {
  return definition;
}

function triggerOf(loaded: LoadedEntry, worker: string, task: string): TaskItem["trigger"] {
  const owner = loaded.workers.find((candidate) => candidate.name === worker);
  if (owner?.cronSchedules.some((schedule) => schedule.task === task)) return "cron";
  if (owner?.subscriptions.some((subscription) => subscription.handler === task)) return "event";
  return null;
}

function taskDetail(options: Readonly<Record<string, unknown>>): string {
  const parts = [`retries ${String(options.retries)}`];
  if (typeof options.timeoutMs === "number") parts.push(`timeout ${formatDuration(options.timeoutMs)}`);
  if (options.priority !== 0) parts.push(`priority ${String(options.priority)}`);
  if (typeof options.concurrency === "number") parts.push(`concurrency ${String(options.concurrency)}`);
  if (typeof options.routingGroup === "string") parts.push(`group ${options.routingGroup}`);
  const rate = options.rateLimit as { limit?: unknown } | null;
  if (rate !== null && typeof rate.limit === "string") parts.push(`rate ${rate.limit}`);
  if (options.isolate === "thread") parts.push("thread");
  if (options.hasInputSchema === true) parts.push("input schema");
  return parts.join(", ");
}

/** Every kind the manifest knows, in the order `upnext list` prints them. Add a kind here. */
const SECTIONS = {
  workers: section<WorkerItem>({
    kind: "worker",
    collect: (loaded) =>
      loaded.workers.map((worker) => ({
        name: worker.name,
        settings: worker.settings,
        tasks: [...worker.tasks.keys()],
      })),
    row: (item) => ({
      name: item.name,
      worker: item.name,
      detail: `concurrency ${String(item.settings.concurrency)}, prefetch ${String(item.settings.prefetch)}, ${String(item.tasks.length)} tasks`,
    }),
  }),
  tasks: section<TaskItem>({
    kind: "task",
    collect: (loaded) =>
      loaded.workers.flatMap((worker) =>
        [...worker.tasks.values()].map((task) => ({
          name: task.name,
          worker: worker.name,
          trigger: triggerOf(loaded, worker.name, task.name),
          options: task.definition.summary,
        })),
      ),
    row: (item) => ({ name: item.name, worker: item.worker, detail: taskDetail(item.options) }),
  }),
  crons: section<CronItem>({
    kind: "cron",
    collect: (loaded) =>
      loaded.workers.flatMap((worker) =>
        worker.cronSchedules.map((schedule) => ({
          name: schedule.name,
          worker: worker.name,
          task: schedule.task,
          cron: schedule.cron,
          timezone: schedule.timezone,
          missedRuns: schedule.missedRuns,
          catchUpWindowMs: schedule.catchUpWindow,
          overlap: schedule.overlap,
          input: schedule.input ?? null,
        })),
      ),
    row: (item) => ({
      name: item.name,
      worker: item.worker,
      detail: `${item.cron} (${item.timezone}), missed runs ${item.missedRuns}, overlap ${item.overlap}`,
    }),
  }),
  events: section<EventItem>({
    kind: "event",
    collect: (loaded) =>
      loaded.workers.flatMap((worker) =>
        worker.subscriptions.map((subscription) => ({ ...subscription, worker: worker.name })),
      ),
    row: (item) => ({ name: item.handler, worker: item.worker, detail: `on ${item.pattern}` }),
  }),
};

type Sections = typeof SECTIONS;
type ItemOf<S> = S extends Section<infer T> ? T : never;

export type EntryManifest = {
  readonly manifestVersion: typeof MANIFEST_VERSION;
  /** The entry file as given relative to the current directory (absolute when outside it). */
  readonly entry: string;
} & { readonly [K in keyof Sections]: ItemOf<Sections[K]>[] };

const SECTION_KEYS = Object.keys(SECTIONS) as (keyof Sections)[];

/** A section with its item type erased, to walk all of them in one loop. */
function erased(key: keyof Sections): Section<unknown> {
  return SECTIONS[key] as unknown as Section<unknown>;
}

export function buildManifest(loaded: LoadedEntry): EntryManifest {
  const sections = Object.fromEntries(SECTION_KEYS.map((key) => [key, erased(key).collect(loaded)])) as {
    [K in keyof Sections]: ItemOf<Sections[K]>[];
  };
  return { manifestVersion: MANIFEST_VERSION, entry: displayPath(loaded.path), ...sections };
}

/** The rows of `upnext list`: KIND, NAME, WORKER, DETAIL, section by section. */
export function listRows(manifest: EntryManifest): string[][] {
  return SECTION_KEYS.flatMap((key) => {
    const { kind, row } = erased(key);
    return (manifest[key] as readonly unknown[]).map((item) => {
      const { name, worker, detail } = row(item);
      return [kind, name, worker, detail];
    });
  });
}
