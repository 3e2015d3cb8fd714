/**
 * Where cron schedules live in Redis. Each schedule is one hash in its task's hash-tag slot
 * (`<ns>:{<task>}:schedule:<name>`: definition, pause, cursor, last run, counters), so the
 * pass that fires it (cron-fire.lua) can create the task's jobs and move the cursor in one
 * atomic script. A namespace-wide index (`<ns>:schedules`, name -> task) lists them, and a
 * counter (`<ns>:schedules:version`) bumped on every definition change lets every scheduler
 * notice changes with one GET.
 *
 * Index and schedule hash are in different slots, so they are written one after the other
 * (schedule first): a crash in between leaves a schedule nobody lists, which the next upsert
 * of the same name repairs.
 */
import { functionKeys, namespaceKeys, type NamespaceKeys } from "@upnext/core";
import type { Redis } from "ioredis";
import type { NewJob } from "../../backend/queue-backend.js";
import { newJobFields } from "../../backend/redis/job-hash.js";
import { defineScripts, pipeScript, runScript } from "../../backend/redis/scripts.js";
import {
  MISSED_RUN_POLICIES,
  OVERLAP_POLICIES,
  type MissedRunPolicy,
  type OverlapPolicy,
} from "./cron-slots.js";

/** A validated schedule definition, as stored. */
export interface ScheduleDefinition {
  readonly name: string;
  readonly task: string;
  readonly cron: string;
  readonly timezone: string;
  readonly missedRuns: MissedRunPolicy;
  /** Milliseconds; only used by missedRuns "all". */
  readonly catchUpWindow: number;
  readonly overlap: OverlapPolicy;
  readonly input: unknown;
}

/** Who wrote the definition last: a `worker.cron()` definition at worker start, or the API/CLI. */
export type ScheduleSource = "code" | "api";

export interface LastRun {
  readonly id: string;
  readonly slot: number;
  /** Set once the run was seen ended: complete, failed, cancelled, or "missing" (expired or deleted). */
  readonly status: string | null;
  readonly done: boolean;
}

export interface ScheduleState {
  readonly paused: boolean;
  readonly pausedAt: number | null;
  /** When the schedule was last resumed: slots before it passed while paused (missed). */
  readonly resumedAt: number | null;
  /** Every slot up to this time (ms) has been dealt with: run, kept pending, or skipped. */
  readonly cursor: number;
  /** Bumped by every definition change, pause and resume; cron-fire compares it. */
  readonly version: string;
  readonly source: ScheduleSource;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The latest slot a run was created for. */
  readonly lastScheduledSlot: number | null;
  /** The slot of the latest run seen ended (complete, failed or cancelled). */
  readonly lastCompletedSlot: number | null;
  readonly lastRun: LastRun | null;
  /** "queue-one": the slot kept to run once the current run ends. */
  readonly queuedSlot: number | null;
  readonly queuedCatchUp: boolean;
  /** Slots that got no run: dropped by the missed-run policy or by the overlap policy. */
  readonly skippedSlots: number;
  /** Runs created by the schedule (triggers not counted). */
  readonly runs: number;
}

export interface ScheduleRecord {
  readonly definition: ScheduleDefinition;
  readonly state: ScheduleState;
}

/** One run a fire pass may create. */
export interface FireCandidate {
  readonly slot: number;
  readonly catchUp: boolean;
  /** The slot a "queue-one" schedule kept, rather than a newly due slot. */
  readonly pending: boolean;
  readonly job: NewJob;
}

export interface FireRequest {
  readonly record: ScheduleRecord;
  /** Where the pass moves the cursor; null when it only watches the last run. */
  readonly cursor: number | null;
  /** Missed slots the missed-run policy dropped. */
  readonly skipped: number;
  readonly candidates: readonly FireCandidate[];
}

export interface FireResult {
  readonly outcome: "ok" | "conflict" | "missing";
  readonly created: readonly FireCandidate[];
  /** Due slots the overlap policy dropped. */
  readonly overlapSkipped: number;
  /** The schedule's state after the pass (undefined when it no longer exists). */
  readonly record: ScheduleRecord | undefined;
}

export interface ScheduleStoreOptions {
  readonly redis: Redis;
  readonly namespace: string;
  /** How long the id -> function index of a created job lives (retention plus slack). */
  readonly jobIndexTtlMs: number;
}

/** State fields carried to the new hash when a schedule's task changes (its hash moves). */
const CARRIED_FIELDS = [
  "cursor",
  "paused",
  "pausedAt",
  "resumedAt",
  "skippedSlots",
  "runs",
  "createdAt",
  "version",
  "lastScheduledSlot",
  "lastCompletedSlot",
];

function num(text: string | undefined | null): number | null {
  if (text === undefined || text === null || text === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

function isOneOf<T extends string>(value: unknown, choices: readonly T[]): value is T {
  return typeof value === "string" && (choices as readonly string[]).includes(value);
}

/** The definition's hash fields (`source` included). */
export function definitionFields(definition: ScheduleDefinition, source: ScheduleSource): string[] {
  return [
    "name",
    definition.name,
    "task",
    definition.task,
    "cron",
    definition.cron,
    "timezone",
    definition.timezone,
    "missedRuns",
    definition.missedRuns,
    "catchUpWindow",
    String(definition.catchUpWindow),
    "overlap",
    definition.overlap,
    "input",
    JSON.stringify(definition.input),
    "source",
    source,
  ];
}

function pairs(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

/** Decodes a schedule hash; undefined when it is absent or not a schedule this code understands. */
export function decodeSchedule(hash: Readonly<Record<string, string>>): ScheduleRecord | undefined {
  const { name, task, cron, timezone, missedRuns, overlap } = hash;
  if (!name || !task || !cron || !timezone) return undefined;
  if (!isOneOf(missedRuns, MISSED_RUN_POLICIES) || !isOneOf(overlap, OVERLAP_POLICIES)) return undefined;
  let input: unknown = null;
  try {
    input = JSON.parse(hash.input ?? "null") as unknown;
  } catch {
    return undefined;
  }
  const definition: ScheduleDefinition = {
    name,
    task,
    cron,
    timezone,
    missedRuns,
    catchUpWindow: num(hash.catchUpWindow) ?? 3_600_000,
    overlap,
    input,
  };
  return { definition, state: decodeState(hash) };
}

function decodeState(hash: Readonly<Record<string, string>>): ScheduleState {
  const lastRunId = hash.lastRunId;
  const lastRunSlot = num(hash.lastRunSlot);
  return {
    paused: hash.paused === "1",
    pausedAt: num(hash.pausedAt),
    resumedAt: num(hash.resumedAt),
    cursor: num(hash.cursor) ?? 0,
    version: hash.version ?? "0",
    source: hash.source === "code" ? "code" : "api",
    createdAt: num(hash.createdAt) ?? 0,
    updatedAt: num(hash.updatedAt) ?? 0,
    lastScheduledSlot: num(hash.lastScheduledSlot),
    lastCompletedSlot: num(hash.lastCompletedSlot),
    lastRun:
      lastRunId && lastRunSlot !== null
        ? {
            id: lastRunId,
            slot: lastRunSlot,
            status: hash.lastRunStatus ?? null,
            done: hash.lastRunDone === "1",
          }
        : null,
    queuedSlot: num(hash.queuedSlot),
    queuedCatchUp: hash.queuedCatchUp === "1",
    skippedSlots: num(hash.skippedSlots) ?? 0,
    runs: num(hash.runs) ?? 0,
  };
}

interface FireReply {
  readonly r?: unknown;
  readonly created?: unknown;
  readonly overlapSkipped?: unknown;
  readonly state?: unknown;
}

export class ScheduleStore {
  readonly redis: Redis;
  readonly keys: NamespaceKeys;

  constructor(private readonly options: ScheduleStoreOptions) {
    this.redis = options.redis;
    this.keys = namespaceKeys(options.namespace);
    defineScripts(this.redis);
  }

  keyOf(task: string, name: string): string {
    return functionKeys(this.options.namespace, task).schedule(name);
  }

  /** The change counter; compare it to notice any definition change, pause or removal. */
  async version(): Promise<string | null> {
    return this.redis.get(this.keys.schedulesVersion);
  }

  async taskOf(name: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.schedules, name)) ?? undefined;
  }

  /**
   * Creates the schedule or replaces its definition, keeping its state (see
   * schedule-upsert.lua for when the cursor moves). A changed task moves the hash, with its
   * cursor, pause and counters, to the new task's slot.
   */
  async upsert(definition: ScheduleDefinition, now: number, source: ScheduleSource): Promise<ScheduleRecord> {
    const previousTask = await this.taskOf(definition.name);
    const carry: string[] = [];
    const moved = previousTask !== undefined && previousTask !== definition.task;
    if (moved) {
      const old = await this.redis.hgetall(this.keyOf(previousTask, definition.name));
      for (const field of CARRIED_FIELDS) {
        const value = old[field];
        if (value !== undefined) carry.push(field, value);
      }
    }
    const key = this.keyOf(definition.task, definition.name);
    const pipeline = this.redis.pipeline();
    pipeScript(
      pipeline,
      "schedule-upsert",
      [key],
      [now, carry.length / 2, ...carry, ...definitionFields(definition, source)],
    );
    pipeline.hset(this.keys.schedules, definition.name, definition.task);
    if (moved) pipeline.del(this.keyOf(previousTask, definition.name));
    pipeline.incr(this.keys.schedulesVersion);
    const replies = (await pipeline.exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    const record = decodeSchedule(pairs(replies[0]?.[1]));
    if (!record) throw new Error(`schedule-upsert returned no schedule for '${definition.name}'`);
    return record;
  }

  /** Pauses or resumes; undefined when there is no such schedule. */
  async setPaused(name: string, paused: boolean, now: number): Promise<ScheduleRecord | undefined> {
    const task = await this.taskOf(name);
    if (task === undefined) return undefined;
    const key = this.keyOf(task, name);
    const changed = await runScript(this.redis, "schedule-pause", [key], [paused ? "1" : "0", now]);
    if (changed !== 1) return undefined;
    await this.redis.incr(this.keys.schedulesVersion);
    return decodeSchedule(await this.redis.hgetall(key));
  }

  /** Deletes the schedule (its jobs stay); false when there was none. */
  async remove(name: string): Promise<boolean> {
    const task = await this.taskOf(name);
    if (task === undefined) return false;
    await this.redis
      .pipeline()
      .hdel(this.keys.schedules, name)
      .del(this.keyOf(task, name))
      .incr(this.keys.schedulesVersion)
      .exec();
    return true;
  }

  async get(name: string): Promise<ScheduleRecord | undefined> {
    const task = await this.taskOf(name);
    if (task === undefined) return undefined;
    return decodeSchedule(await this.redis.hgetall(this.keyOf(task, name)));
  }

  /** Every schedule (those of the tasks `include` accepts), sorted by name. */
  async list(include: (task: string) => boolean = () => true): Promise<ScheduleRecord[]> {
    const index = await this.redis.hgetall(this.keys.schedules);
    const entries = Object.entries(index).filter(([, task]) => include(task));
    if (entries.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const [name, task] of entries) pipeline.hgetall(this.keyOf(task, name));
    const replies = (await pipeline.exec()) ?? [];
    const records: ScheduleRecord[] = [];
    for (const [error, hash] of replies) {
      if (error) throw error;
      const record = decodeSchedule(hash as Record<string, string>);
      if (record) records.push(record);
    }
    return records.sort((a, b) => a.definition.name.localeCompare(b.definition.name));
  }

  /** The current status of each schedule's last run ("missing" when the job no longer exists). */
  async lastRunStatuses(records: readonly ScheduleRecord[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const withRun = records.filter((record) => record.state.lastRun !== null);
    if (withRun.length === 0) return out;
    const pipeline = this.redis.pipeline();
    for (const record of withRun) {
      const run = record.state.lastRun;
      if (run)
        pipeline.hget(functionKeys(this.options.namespace, record.definition.task).job(run.id), "status");
    }
    const replies = (await pipeline.exec()) ?? [];
    withRun.forEach((record, index) => {
      const status = replies[index]?.[1];
      out.set(record.definition.name, typeof status === "string" ? status : "missing");
    });
    return out;
  }

  /**
   * One scheduler pass over one schedule (cron-fire.lua): a compare-and-set on the version and
   * cursor the pass was computed from. Every candidate's id -> function index is written
   * before the script (as enqueue does) and removed again for candidates that got no job.
   */
  async fire(request: FireRequest): Promise<FireResult> {
    const { record, candidates } = request;
    const { definition, state } = record;
    const fnKeys = functionKeys(this.options.namespace, definition.task);
    const keys = [
      this.keyOf(definition.task, definition.name),
      fnKeys.stream,
      fnKeys.priority,
      fnKeys.jobPrefix,
    ];
    const args: (string | number)[] = [
      state.version,
      request.cursor === null ? "" : String(state.cursor),
      request.cursor ?? state.cursor,
      request.skipped,
      candidates.length,
    ];
    const pipeline = this.redis.pipeline();
    for (const candidate of candidates) {
      keys.push(fnKeys.job(candidate.job.id));
      const fields = newJobFields(candidate.job);
      args.push(
        candidate.slot,
        candidate.catchUp ? 1 : 0,
        candidate.pending ? 1 : 0,
        candidate.job.id,
        fields.length,
        ...fields,
      );
      pipeline.set(this.keys.jobIndex(candidate.job.id), definition.task, "PX", this.options.jobIndexTtlMs);
    }
    pipeScript(pipeline, "cron-fire", keys, args);
    const replies = (await pipeline.exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    const raw = replies[replies.length - 1]?.[1];
    if (typeof raw !== "string") throw new Error(`Unexpected cron-fire reply: ${String(raw)}`);
    const reply = JSON.parse(raw) as FireReply;
    const createdIds = new Set(
      (Array.isArray(reply.created) ? (reply.created as unknown[][]) : []).map((row) => String(row[0])),
    );
    const created = candidates.filter((candidate) => createdIds.has(candidate.job.id));
    const unused = candidates.filter((candidate) => !createdIds.has(candidate.job.id));
    if (unused.length > 0) {
      await this.redis.unlink(...unused.map((candidate) => this.keys.jobIndex(candidate.job.id)));
    }
    const outcome = reply.r === "ok" || reply.r === "conflict" ? reply.r : "missing";
    return {
      outcome,
      created,
      overlapSkipped: typeof reply.overlapSkipped === "number" ? reply.overlapSkipped : 0,
      record: outcome === "missing" ? undefined : withState(record, reply.state),
    };
  }
}

/** The record with the state fields a script replied (cjson nulls are absent fields). */
function withState(record: ScheduleRecord, state: unknown): ScheduleRecord {
  if (typeof state !== "object" || state === null) return record;
  const hash: Record<string, string> = {};
  for (const [field, value] of Object.entries(state as Record<string, unknown>)) {
    if (typeof value === "string" || typeof value === "number") hash[field] = String(value);
  }
  const previous = record.state;
  const next = decodeState({
    ...hash,
    source: previous.source,
    ...(previous.pausedAt !== null ? { pausedAt: String(previous.pausedAt) } : {}),
    ...(previous.resumedAt !== null ? { resumedAt: String(previous.resumedAt) } : {}),
    createdAt: String(previous.createdAt),
    updatedAt: String(previous.updatedAt),
  });
  return { definition: record.definition, state: next };
}
