/**
 * Managing cron schedules at runtime: `worker.schedules` (on the worker's connection) or a
 * standalone `new Schedules({ namespace })` for admin scripts and the CLI. Schedules live in
 * Redis; every running worker notices a change within one scheduler pass, without a restart.
 */
import {
  InvalidInputError,
  InvalidOptionError,
  UpNextError,
  isJobStatus,
  validateName,
  type JobStatus,
} from "@upnext/core";
import {
  LazyNamespaceClient,
  type NamespaceClient,
  type StandaloneOptions,
} from "../runtime/namespace-client.js";
import { slotsOf } from "../runtime/cron/cron-slots.js";
import {
  ScheduleStore,
  type ScheduleDefinition,
  type ScheduleRecord,
  type ScheduleSource,
} from "../runtime/cron/schedule-store.js";
import { defineSchedule, type ScheduleOptions } from "./cron-definition.js";
import type { JobRef } from "./job-ref.js";
import { TaskHandle } from "./task-handle.js";
import { defineTask } from "./task-options.js";

/** A schedule name that does not exist in the namespace. */
export class ScheduleNotFoundError extends UpNextError {
  constructor(
    readonly schedule: string,
    readonly known: readonly string[],
  ) {
    super(
      "schedule_not_found",
      `No cron schedule named '${schedule}'. Schedules: ${known.length > 0 ? known.join(", ") : "(none)"}.`,
    );
  }
}

/** How a standalone Schedules object connects (one shape for every admin object). */
export type SchedulesOptions = StandaloneOptions;

/** How the SDK reaches a worker's connection and tasks (used by `worker.schedules`). */
export interface SchedulesBinding {
  readonly connection: () => NamespaceClient;
  /** The worker's own task of that name, if it defines one. */
  readonly task?: (name: string) => TaskHandle | undefined;
  /** The clock (tests); default Date.now. */
  readonly now?: () => number;
}

/** A schedule's definition and state, as `list()` and `get()` return it. Times are epoch ms. */
export interface ScheduleInfo extends ScheduleDefinition {
  readonly paused: boolean;
  readonly pausedAt: number | null;
  /** When it was last resumed (slots between the pause and this were missed). */
  readonly resumedAt: number | null;
  /** "code": written by a `worker.cron()` definition at worker start; "api": by the SDK or CLI. */
  readonly source: ScheduleSource;
  /** Every slot up to this time has been dealt with (run, kept pending or skipped). */
  readonly cursor: number;
  /** The first slot after both the cursor and now (shown even while paused). */
  readonly nextSlot: number | null;
  /** The latest slot a run was created for. */
  readonly lastScheduledSlot: number | null;
  /** The slot of the latest run seen ended (complete, failed or cancelled). */
  readonly lastCompletedSlot: number | null;
  /** The latest run and its current status ("missing" once the job expired or was deleted). */
  readonly lastRun: {
    readonly id: string;
    readonly slot: number;
    readonly status: JobStatus | "missing";
  } | null;
  /** "queue-one": the slot waiting for the current run to end. */
  readonly queuedSlot: number | null;
  /** Slots that got no run (missed-run policy or overlap policy). */
  readonly skippedSlots: number;
  /** Runs the schedule created (triggers not counted). */
  readonly runs: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The registry record a worker writes for each of its tasks (used to trigger tasks defined elsewhere). */
interface TaskSummary {
  readonly retries?: unknown;
  readonly maxDeliveries?: unknown;
  readonly priority?: unknown;
}

function wholeOr(value: unknown, fallback: number, min: number): number {
  return typeof value === "number" && Number.isInteger(value) && value >= min ? value : fallback;
}

export class Schedules {
  private readonly binding: SchedulesBinding;
  /** Set for a standalone Schedules, which opens (and closes) a connection of its own. */
  private ownConnection: LazyNamespaceClient | undefined;
  private storeInstance: ScheduleStore | undefined;

  constructor(options: SchedulesOptions = {}, binding?: SchedulesBinding) {
    if (binding) {
      this.binding = binding;
      return;
    }
    if (options.namespace !== undefined) validateName("namespace", options.namespace);
    const own = new LazyNamespaceClient(options);
    this.ownConnection = own;
    this.binding = { connection: () => own.get() };
  }

  private now(): number {
    return (this.binding.now ?? Date.now)();
  }

  private get store(): ScheduleStore {
    const connection = this.binding.connection();
    if (this.storeInstance?.redis !== connection.redis) {
      this.storeInstance = new ScheduleStore({
        redis: connection.redis,
        namespace: connection.namespace,
        jobIndexTtlMs: connection.config.jobRetention + 30 * 86_400_000,
      });
    }
    return this.storeInstance;
  }

  /**
   * Creates the schedule, or replaces its definition (every setting not given gets its
   * default). Its pause, cursor and counters are kept; a new expression or time zone takes effect
   * from now on. Invalid settings throw an InvalidOptionError naming the option.
   */
  async upsert<I = unknown>(options: ScheduleOptions<I>): Promise<ScheduleInfo> {
    const definition = defineSchedule(options);
    this.checkInput(definition);
    const record = await this.store.upsert(definition, this.now(), "api");
    return this.info(record);
  }

  /** Stops firing; slots that pass while paused are missed slots when it is resumed. */
  async pause(name: string): Promise<ScheduleInfo> {
    return this.setPaused(name, true);
  }

  /** Fires again; the slots missed while paused follow the schedule's missed-run policy. */
  async resume(name: string): Promise<ScheduleInfo> {
    return this.setPaused(name, false);
  }

  /** Deletes the schedule (its jobs already created stay). Returns false when there was none. */
  async remove(name: string): Promise<boolean> {
    return this.store.remove(name);
  }

  /**
   * Enqueues one run now (origin `scheduledFor` = now, `catchUp` false), with the schedule's
   * input. The cursor does not move, and the run is not subject to the overlap policy.
   */
  async trigger(name: string): Promise<JobRef> {
    const record = await this.require(name);
    const { definition } = record;
    const now = this.now();
    const handle = this.binding.task?.(definition.task) ?? (await this.remoteTask(definition.task));
    const job = handle.prepare(definition.input, {}, now, {
      kind: "cron",
      schedule: definition.name,
      scheduledFor: now,
      catchUp: false,
    });
    const [ref] = await handle.submitJobs([job]);
    if (!ref) throw new Error("enqueue returned no job");
    return ref;
  }

  /** The schedule, or undefined when there is none. */
  async get(name: string): Promise<ScheduleInfo | undefined> {
    const record = await this.store.get(name);
    if (!record) return undefined;
    return this.info(record);
  }

  /** Every schedule of the namespace, sorted by name. */
  async list(): Promise<ScheduleInfo[]> {
    const records = await this.store.list();
    const statuses = await this.store.lastRunStatuses(records);
    const now = this.now();
    return records.map((record) => toInfo(record, statuses.get(record.definition.name), now));
  }

  /** Closes the connection of a standalone Schedules (a worker's is closed by `worker.stop()`). */
  async close(): Promise<void> {
    await this.ownConnection?.close();
  }

  private async setPaused(name: string, paused: boolean): Promise<ScheduleInfo> {
    validateName("schedule name", name);
    const record = await this.store.setPaused(name, paused, this.now());
    if (!record) throw await this.notFound(name);
    return this.info(record);
  }

  private async require(name: string): Promise<ScheduleRecord> {
    validateName("schedule name", name);
    const record = await this.store.get(name);
    if (!record) throw await this.notFound(name);
    return record;
  }

  private async notFound(name: string): Promise<ScheduleNotFoundError> {
    const known = (await this.store.list()).map((record) => record.definition.name);
    return new ScheduleNotFoundError(name, known);
  }

  private async info(record: ScheduleRecord): Promise<ScheduleInfo> {
    const statuses = await this.store.lastRunStatuses([record]);
    return toInfo(record, statuses.get(record.definition.name), this.now());
  }

  /** When this worker defines the task, the input must pass the task's schema now, not at 2 a.m. */
  private checkInput(definition: ScheduleDefinition): void {
    const handle = this.binding.task?.(definition.task);
    if (!handle) return;
    try {
      handle.prepare(definition.input);
    } catch (error) {
      if (error instanceof InvalidInputError) {
        throw new InvalidOptionError(
          "input",
          definition.input,
          `task '${definition.task}' rejects it: ${error.issues}`,
        );
      }
      throw error;
    }
  }

  /**
   * A handle on a task this process does not define (the CLI, an admin script): its retries,
   * delivery limit and priority come from the registry record its workers publish.
   */
  private async remoteTask(task: string): Promise<TaskHandle> {
    const connection = this.binding.connection();
    let summary: TaskSummary = {};
    const text = await connection.redis.hget(connection.keys.function(task), "options");
    if (text) {
      try {
        summary = JSON.parse(text) as TaskSummary;
      } catch {
        summary = {};
      }
    }
    const config = connection.config;
    const definition = defineTask(
      task,
      {
        retries: wholeOr(summary.retries, 0, 0),
        maxDeliveries: wholeOr(summary.maxDeliveries, config.maxDeliveries, 1),
        priority: typeof summary.priority === "number" ? summary.priority : 0,
      },
      () => null,
      config,
      {
        progressMinDelta: config.progressMinDelta,
        progressMinIntervalMs: config.progressMinInterval,
        maxDeliveries: config.maxDeliveries,
      },
    );
    return new TaskHandle(definition, () => connection);
  }
}

function toInfo(record: ScheduleRecord, liveStatus: string | undefined, now: number): ScheduleInfo {
  const { definition, state } = record;
  const run = state.lastRun;
  const status = liveStatus ?? run?.status ?? "missing";
  return {
    ...definition,
    paused: state.paused,
    pausedAt: state.pausedAt,
    resumedAt: state.resumedAt,
    source: state.source,
    cursor: state.cursor,
    nextSlot: slotsOf(definition.cron, definition.timezone).nextAfter(Math.max(state.cursor, now)),
    lastScheduledSlot: state.lastScheduledSlot,
    lastCompletedSlot: state.lastCompletedSlot,
    lastRun: run ? { id: run.id, slot: run.slot, status: isJobStatus(status) ? status : "missing" } : null,
    queuedSlot: state.queuedSlot,
    skippedSlots: state.skippedSlots,
    runs: state.runs,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}
