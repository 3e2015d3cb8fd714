/**
 * The cron scheduler: a service on every worker that fires the schedules of the tasks that
 * worker runs. Each pass (every UPNEXT_CRON_INTERVAL, or sooner when a slot is due) computes,
 * per schedule, the slots due since its cursor and what the missed-run policy makes of them,
 * then calls cron-fire.lua once: a compare-and-set on the cursor that creates the jobs and
 * moves the cursor together. Any number of workers may run the same pass; exactly one of them
 * creates each slot's job.
 *
 * Nothing depends on a job surviving: the schedule's state (cursor, last run) is re-read from
 * Redis and re-checked on every pass, so an expired or deleted run cannot stop a schedule, and a
 * worker that starts after downtime simply finds the cursor behind and applies the policy.
 *
 * A schedule only fires on workers that define its task: while no such worker runs, its slots
 * are missed, and the missed-run policy decides what happens when one comes back.
 */
import type { JobOrigin } from "@upnext/core";
import type { NewJob } from "../../backend/queue-backend.js";
import type { NamespaceClient } from "../namespace-client.js";
import { planSlots, slotsOf, type SlotPlan } from "./cron-slots.js";
import { creationEvent } from "../status/job-events.js";
import type { Logger } from "../observability/logger.js";
import {
  ScheduleStore,
  type FireCandidate,
  type ScheduleDefinition,
  type ScheduleRecord,
} from "./schedule-store.js";
import type { RuntimeService, RuntimeServiceContext, RuntimeServiceErrors } from "../worker-runtime.js";

/** Schedules are re-read at least this often even when the change counter says nothing changed. */
const FULL_RELOAD_MS = 30_000;
/** Most runs one pass creates for one schedule (a long catch-up continues in the next passes). */
const MAX_RUNS_PER_PASS = 200;
/** How long a created job's id -> function index outlives the job's retention. */
const INDEX_SLACK_MS = 30 * 86_400_000;

export interface CronSchedulerOptions {
  /** Whether this worker defines (and so may fire schedules of) the task. */
  readonly runsTask: (task: string) => boolean;
  /** Builds the job of one run of a task this worker defines (the normal submit path). */
  readonly prepareRun: (task: string, input: unknown, now: number, origin: JobOrigin) => NewJob;
  /** The clock (epoch ms); injectable so tests can simulate hours of downtime. */
  readonly now?: () => number;
  /** Longest pause between passes (default UPNEXT_CRON_INTERVAL). */
  readonly intervalMs?: number;
  /** A slot noticed later than this after its time is missed (default UPNEXT_CRON_MISSED_GRACE). */
  readonly graceMs?: number;
  /** Run passes on a timer (default true); tests call tick() themselves. */
  readonly autoTick?: boolean;
}

/** A run created by a pass. */
export interface CreatedRun {
  readonly schedule: string;
  readonly jobId: string;
  readonly slot: number;
  readonly catchUp: boolean;
}

export interface PassReport {
  readonly created: CreatedRun[];
  /** Slots that got no run in this pass (missed-run policy plus overlap policy). */
  skipped: number;
  /** Passes that lost the compare-and-set to another scheduler (nothing was written). */
  conflicts: number;
  /** Schedules whose pass failed (retried on the next pass; the cursor did not move). */
  readonly failed: { readonly schedule: string; readonly error: unknown }[];
  /** When the next pass is due (ms from now). */
  nextDelayMs: number;
}

export class CronScheduler implements RuntimeService {
  readonly name = "cron-scheduler";
  /** Passes (whole, or one schedule's) that failed and will be retried: `redisErrors.cron`. */
  private failures = 0;
  private readonly code = new Map<string, ScheduleDefinition>();
  private records = new Map<string, ScheduleRecord>();
  private seenVersion: string | null | undefined;
  private loadedAt = 0;
  private store: ScheduleStore | undefined;
  private connection: NamespaceClient | undefined;
  private logger: Logger | undefined;
  private workerId: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ticking: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private intervalMs = 1_000;
  private graceMs = 5_000;
  /** Slots skipped because the schedule's input fails the task's schema, per schedule (logged once). */
  private readonly badInput = new Set<string>();
  private readonly nextSlots = new Map<
    string,
    { cursor: number; cron: string; timezone: string; next: number | null }
  >();

  constructor(private readonly options: CronSchedulerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Adds a schedule defined in code; it is upserted when the worker starts. */
  define(definition: ScheduleDefinition): void {
    this.code.set(definition.name, definition);
  }

  get redisErrors(): RuntimeServiceErrors {
    return { operation: "cron", count: this.failures };
  }

  /** The schedules defined in code, in definition order. */
  get definitions(): readonly ScheduleDefinition[] {
    return [...this.code.values()];
  }

  async start(context: RuntimeServiceContext): Promise<void> {
    const { connection } = context;
    this.connection = connection;
    this.workerId = context.workerId;
    this.logger = context.logger.child({ component: "cron" });
    this.intervalMs = this.options.intervalMs ?? connection.config.cronInterval;
    this.graceMs = this.options.graceMs ?? connection.config.cronMissedGrace;
    this.store = new ScheduleStore({
      redis: connection.redis,
      namespace: connection.namespace,
      jobIndexTtlMs: connection.config.jobRetention + INDEX_SLACK_MS,
    });
    this.stopped = false;
    const now = this.now();
    for (const definition of this.code.values()) {
      const record = await this.store.upsert(definition, now, "code");
      if (record.state.paused) {
        this.logger.info(
          { schedule: definition.name },
          `cron schedule '${definition.name}' is paused; resume it with \`upnext cron resume ${definition.name}\``,
        );
      }
    }
    if (this.options.autoTick !== false) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** Runs one pass now (after any pass in progress) and reports what it did. */
  tick(): Promise<PassReport> {
    const pass = this.ticking.then(() => this.pass());
    this.ticking = pass.catch(() => undefined);
    return pass;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick().then(
        (report) => {
          this.schedule(report.nextDelayMs);
        },
        (error: unknown) => {
          this.failures++;
          this.logger?.warn({ err: String(error) }, "cron scheduler pass failed; will retry");
          this.schedule(this.intervalMs);
        },
      );
    }, delayMs);
    this.timer.unref();
  }

  private async pass(): Promise<PassReport> {
    const store = this.store;
    const report: PassReport = {
      created: [],
      skipped: 0,
      conflicts: 0,
      failed: [],
      nextDelayMs: this.intervalMs,
    };
    if (!store || this.stopped) return report;
    const now = this.now();
    await this.refresh(store);
    const more = await Promise.all(
      [...this.records.values()].map((record) =>
        // One schedule's failure (Redis hiccup, bug) must not hold the others back.
        this.passOne(store, record, now, report).catch((error: unknown) => {
          this.failures++;
          report.failed.push({ schedule: record.definition.name, error });
          this.logger?.warn(
            { schedule: record.definition.name, err: String(error) },
            "cron schedule pass failed; will retry",
          );
          return false;
        }),
      ),
    );
    report.nextDelayMs = more.includes(true) ? 0 : this.delayUntilNextSlot(now);
    return report;
  }

  /** Re-reads the schedules of this worker's tasks when the change counter moved (or now and then). */
  private async refresh(store: ScheduleStore): Promise<void> {
    const version = await store.version();
    if (version === this.seenVersion && Date.now() - this.loadedAt < FULL_RELOAD_MS) return;
    const records = await store.list(this.options.runsTask);
    this.records = new Map(records.map((record) => [record.definition.name, record]));
    for (const name of this.nextSlots.keys()) if (!this.records.has(name)) this.nextSlots.delete(name);
    this.seenVersion = version;
    this.loadedAt = Date.now();
  }

  /** One schedule's part of a pass; returns true when more catch-up runs are due at once. */
  private async passOne(
    store: ScheduleStore,
    record: ScheduleRecord,
    now: number,
    report: PassReport,
  ): Promise<boolean> {
    const { definition, state } = record;
    const watching = state.lastRun !== null && !state.lastRun.done;
    const next = state.paused ? null : this.nextSlot(record);
    const plan: SlotPlan | null =
      next === null || next > now
        ? null
        : planSlots({
            slots: slotsOf(definition.cron, definition.timezone),
            missedRuns: definition.missedRuns,
            catchUpWindow: definition.catchUpWindow,
            cursor: state.cursor,
            now,
            graceMs: this.graceMs,
            resumedAt: state.resumedAt,
            maxRuns: MAX_RUNS_PER_PASS,
          });
    const pendingReady = state.queuedSlot !== null && !state.paused;
    if (plan === null && !watching && !pendingReady) return false;

    const candidates: FireCandidate[] = [];
    let invalid = 0;
    const add = (slot: number, catchUp: boolean, pending: boolean): void => {
      const origin: JobOrigin = { kind: "cron", schedule: definition.name, scheduledFor: slot, catchUp };
      try {
        candidates.push({
          slot,
          catchUp,
          pending,
          job: this.options.prepareRun(definition.task, definition.input, now, origin),
        });
      } catch (error) {
        // Anything but a rejected input is a fault of ours: fail the pass, move no cursor.
        if ((error as { code?: unknown }).code !== "invalid_input") throw error;
        invalid++;
        if (!this.badInput.has(definition.name)) {
          this.badInput.add(definition.name);
          this.logger?.error(
            { schedule: definition.name, task: definition.task, err: String(error) },
            "the cron schedule's input is not accepted by its task; its slots are skipped until the schedule is fixed",
          );
        }
      }
    };
    if (state.queuedSlot !== null && pendingReady) add(state.queuedSlot, state.queuedCatchUp, true);
    for (const run of plan?.runs ?? []) add(run.slot, run.catchUp, false);

    const result = await store.fire({
      record,
      cursor: plan ? plan.cursor : null,
      skipped: (plan?.skipped ?? 0) + invalid,
      candidates,
    });
    if (result.outcome === "missing" || !result.record) {
      this.records.delete(definition.name);
      return false;
    }
    this.records.set(definition.name, result.record);
    if (result.outcome === "conflict") {
      report.conflicts++;
      // Another definition (or a pause) landed since the last read: re-read before the next pass.
      if (result.record.state.version !== state.version) this.seenVersion = undefined;
      return false;
    }
    this.publishCreated(result.created);
    for (const candidate of result.created) {
      report.created.push({
        schedule: definition.name,
        jobId: candidate.job.id,
        slot: candidate.slot,
        catchUp: candidate.catchUp,
      });
    }
    const skipped = (plan?.skipped ?? 0) + result.overlapSkipped;
    report.skipped += skipped;
    if (skipped > 0) {
      this.logger?.info(
        {
          schedule: definition.name,
          missed: plan?.skipped ?? 0,
          ...(plan?.skippedAtLeast ? { missedAtLeast: true } : {}),
          overlap: result.overlapSkipped,
          missedRuns: definition.missedRuns,
          overlapPolicy: definition.overlap,
        },
        `cron schedule '${definition.name}' skipped ${skipped}${plan?.skippedAtLeast ? "+" : ""} slot(s)`,
      );
    }
    return plan?.more === true;
  }

  /** The creation event of each new run: the "queued" event a submit publishes, with the origin. */
  private publishCreated(created: readonly FireCandidate[]): void {
    const publisher = this.connection?.publisher;
    if (!publisher) return;
    for (const { job } of created) void publisher.publish(creationEvent(job, "queued", this.workerId));
  }

  /** The first slot after the schedule's cursor (cached: cron-parser steps are not cheap). */
  private nextSlot(record: ScheduleRecord): number | null {
    const { definition, state } = record;
    const cached = this.nextSlots.get(definition.name);
    if (
      cached?.cursor === state.cursor &&
      cached.cron === definition.cron &&
      cached.timezone === definition.timezone
    ) {
      return cached.next;
    }
    const next = slotsOf(definition.cron, definition.timezone).nextAfter(state.cursor);
    this.nextSlots.set(definition.name, {
      cursor: state.cursor,
      cron: definition.cron,
      timezone: definition.timezone,
      next,
    });
    return next;
  }

  /** Sleep until the earliest next slot of an active schedule, at most the interval. */
  private delayUntilNextSlot(now: number): number {
    let wake = now + this.intervalMs;
    for (const record of this.records.values()) {
      if (record.state.paused) continue;
      const next = this.nextSlot(record);
      if (next !== null) wake = Math.min(wake, next);
    }
    // +1 ms: a timer may fire a hair early against the wall clock.
    return Math.max(0, wake - this.now() + 1);
  }
}
