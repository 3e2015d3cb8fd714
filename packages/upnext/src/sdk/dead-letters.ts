/**
 * The dead-letter sets as operators see them: list, inspect, replay and purge the jobs that
 * failed for good (retries exhausted, or lost too often). Works from Redis alone, so an admin
 * script or the CLI needs no task definitions: a replay is rebuilt from the dead job's hash and
 * goes through the same enqueue path (and creation events) as a submit.
 */
import { InvalidOptionError, JobNotFoundError, validateName, type FailureReason } from "@upnext/core";
import type {
  DeadLetterPosition,
  DeadLetterStore,
  PageCursor,
  ScoreRange,
} from "../backend/dead-letter-store.js";
import {
  LazyNamespaceClient,
  type NamespaceClient,
  type StandaloneOptions,
} from "../runtime/namespace-client.js";
import {
  AlreadyReplayedError,
  NotDeadLetteredError,
  encodeCursor,
  entryOf,
  parseCursor,
  rangeOf,
  reasonOf,
  type DeadLetterEntry,
  type DeadLetterFilter,
} from "./dead-letter-entry.js";
import { JobRef } from "./job-ref.js";
import { replayJobs } from "./replays.js";
import { rejectUnknown } from "./task-options.js";

export {
  AlreadyReplayedError,
  NotDeadLetteredError,
  type DeadLetterEntry,
  type DeadLetterFilter,
  type TimeBound,
} from "./dead-letter-entry.js";

export interface DeadLetterListOptions extends DeadLetterFilter {
  /** Entries per page (default 50, at most 1000). */
  readonly limit?: number;
  /** `nextCursor` (the older entries) or `prevCursor` (the newer ones) of a page. */
  readonly cursor?: string;
  /** true: only replayed entries; false: only entries not replayed yet; default: both. */
  readonly replayed?: boolean;
}

export interface DeadLetterPage {
  /** Newest first. */
  readonly entries: DeadLetterEntry[];
  /** Pass as `cursor` for the next (older) page; null when this was the last one. */
  readonly nextCursor: string | null;
  /** Pass as `cursor` for the previous (newer) page; null on the first page. */
  readonly prevCursor: string | null;
}

export interface DeadLetterReplayOptions {
  /** Replay an entry that was already replayed (default false: refused). */
  readonly force?: boolean;
}

export interface DeadLetterBatchOptions {
  /** Entries per round trip (default 500). */
  readonly batchSize?: number;
}

export interface DeadLetterReplayAllOptions
  extends DeadLetterFilter, DeadLetterBatchOptions, DeadLetterReplayOptions {}

export type DeadLetterPurgeOptions = DeadLetterFilter & DeadLetterBatchOptions;

export interface DeadLetterPurgeJobsResult {
  /** Ids whose entry (and job) were deleted. */
  readonly purged: string[];
  /** Ids that were not dead-lettered, so nothing was deleted for them. */
  readonly notPurged: string[];
}

export interface DeadLetterProgress {
  /** Entries handled so far. */
  readonly done: number;
  /** Entries in range when the operation started. */
  readonly total: number;
  /** The function of the batch just handled. */
  readonly function: string;
}

export interface DeadLetterReplayProgress extends DeadLetterProgress {
  readonly replayed: number;
  /** Entries already replayed (without `force`) or gone (expired, purged) meanwhile. */
  readonly skipped: number;
}

export interface DeadLetterReplayAllResult {
  readonly total: number;
  readonly replayed: number;
  readonly skipped: number;
}

export interface DeadLetterPurgeResult {
  readonly total: number;
  readonly purged: number;
}

/** How a standalone DeadLetters object connects (one shape for every admin object). */
export type DeadLettersOptions = StandaloneOptions;

/** How the SDK reaches a worker's connection (used by `worker.deadLetters`). */
export interface DeadLettersBinding {
  readonly connection: () => NamespaceClient;
}

const OPTION_NAMES = new Set(["redis", "redisOptions", "namespace", "logger", "config"]);
const LIST_OPTIONS = new Set(["function", "since", "before", "reason", "limit", "cursor", "replayed"]);
const REPLAY_ALL_OPTIONS = new Set(["function", "since", "before", "reason", "batchSize", "force"]);
const PURGE_OPTIONS = new Set(["function", "since", "before", "reason", "batchSize"]);
const FILTER_OPTIONS = new Set(["function", "since", "before", "reason"]);
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1_000;
const DEFAULT_BATCH = 500;
const MAX_BATCH = 10_000;

function wholeNumber(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(option, value, `use a whole number from ${min} to ${max}`);
  }
  return value;
}

export class DeadLetters {
  private readonly connectionOf: () => NamespaceClient;
  private owned: LazyNamespaceClient | undefined;

  constructor(options: DeadLettersOptions = {}, binding?: DeadLettersBinding) {
    rejectUnknown("dead-letter options", options, OPTION_NAMES);
    if (options.namespace !== undefined) validateName("namespace", options.namespace);
    if (binding) {
      this.connectionOf = binding.connection;
    } else {
      const own = new LazyNamespaceClient(options);
      this.owned = own;
      this.connectionOf = () => own.get();
    }
  }

  /** The namespace this instance reads (connects on first use). */
  get namespace(): string {
    return this.connectionOf().namespace;
  }

  private store(connection: NamespaceClient): DeadLetterStore {
    return connection.deadLetters;
  }

  /** Every function (task) name known in the namespace, sorted. */
  async functions(): Promise<string[]> {
    return this.connectionOf().backend.knownFunctions();
  }

  private async functionsFor(fn: string | undefined): Promise<string[]> {
    if (fn !== undefined) return [validateName("function", fn)];
    return this.functions();
  }

  /** Number of entries matching the filter. */
  async count(filter: DeadLetterFilter = {}): Promise<number> {
    rejectUnknown("count options", filter, FILTER_OPTIONS);
    const range = rangeOf(filter);
    const reason = reasonOf(filter);
    const connection = this.connectionOf();
    const store = this.store(connection);
    const functions = await this.functionsFor(filter.function);
    let total = 0;
    if (reason === null) {
      for (const count of (await store.count(functions, range)).values()) total += count;
      return total;
    }
    for (const fn of functions) {
      await this.eachBatch(store, fn, range, reason, DEFAULT_BATCH, (ids) => {
        total += ids.length;
        return Promise.resolve();
      });
    }
    return total;
  }

  /**
   * Calls `visit` with the ids of one function's entries in range that died for `reason`,
   * `batchSize` entries read per round trip, newest first. Used where the reason is not in the
   * set's score and must be read from each job.
   */
  private async eachBatch(
    store: DeadLetterStore,
    fn: string,
    range: ScoreRange,
    reason: FailureReason,
    batchSize: number,
    visit: (ids: string[]) => Promise<void>,
  ): Promise<void> {
    let cursor: PageCursor | null = null;
    for (;;) {
      const positions: DeadLetterPosition[] = await store.page([fn], range, cursor, batchSize);
      const last = positions.at(-1);
      if (!last) return;
      cursor = { score: last.score, id: last.id };
      const reasons = await store.reasons(positions);
      const ids = positions.filter((_, index) => reasons[index] === reason).map((position) => position.id);
      if (ids.length > 0) await visit(ids);
      if (positions.length < batchSize) return;
    }
  }

  /**
   * One page of entries, newest first, across every function unless one is given. Pages are
   * stable: the cursor is a position (time died, job id), so entries added or removed between
   * pages never shift what the next page holds.
   */
  async list(options: DeadLetterListOptions = {}): Promise<DeadLetterPage> {
    rejectUnknown("list options", options, LIST_OPTIONS);
    const limit = wholeNumber("limit", options.limit ?? DEFAULT_LIMIT, 1, MAX_LIMIT);
    const range = rangeOf(options);
    const reason = reasonOf(options);
    if (options.replayed !== undefined && typeof options.replayed !== "boolean") {
      throw new InvalidOptionError("replayed", options.replayed, "give true, false or leave it out");
    }
    const start = options.cursor === undefined ? null : parseCursor(options.cursor);
    const order = start?.order ?? "older";
    let cursor: PageCursor | null = start;
    const connection = this.connectionOf();
    const store = this.store(connection);
    const functions = await this.functionsFor(options.function);
    // In the order read: newest first for "older", oldest first for "newer".
    const entries: DeadLetterEntry[] = [];
    let more = false;
    // Entries whose hash expired, or that a filter drops, leave a page short: keep reading
    // until it is full or the sets are exhausted.
    for (;;) {
      const need = limit - entries.length;
      const positions = await store.page(functions, range, cursor, need + 1, order);
      const taken = positions.slice(0, need);
      const hashes = await store.read(taken);
      taken.forEach((position, index) => {
        const entry = entryOf(position, hashes[index] ?? {});
        if (!entry) return;
        if (options.replayed !== undefined && (entry.replayedAs !== null) !== options.replayed) return;
        if (reason !== null && entry.reason !== reason) return;
        entries.push(entry);
      });
      const last = taken.at(-1);
      if (last) cursor = { score: last.score, id: last.id };
      if (positions.length <= need) break;
      if (entries.length >= limit) {
        more = true;
        break;
      }
    }
    const positionOf = (entry: DeadLetterEntry): PageCursor => ({
      score: String(entry.failedAt),
      id: entry.jobId,
    });
    if (order === "newer") {
      entries.reverse();
      const newest = entries[0];
      const oldest = entries.at(-1);
      return {
        entries,
        nextCursor: oldest ? encodeCursor(positionOf(oldest), "older") : null,
        prevCursor: more && newest ? encodeCursor(positionOf(newest), "newer") : null,
      };
    }
    const newest = entries[0];
    return {
      entries,
      // The position of the last entry read (kept or filtered out), so the next page skips them all.
      nextCursor: more && cursor ? encodeCursor(cursor, "older") : null,
      prevCursor: start !== null && newest ? encodeCursor(positionOf(newest), "newer") : null,
    };
  }

  /** One dead-lettered job. Throws JobNotFoundError or NotDeadLetteredError. */
  async get(jobId: string): Promise<DeadLetterEntry> {
    const connection = this.connectionOf();
    const store = this.store(connection);
    const fn = await store.locate(jobId, () => this.functions());
    if (fn === undefined) throw new JobNotFoundError(jobId);
    const [hash, score] = await Promise.all([store.jobHash(fn, jobId), store.scoreOf(fn, jobId)]);
    const status = hash.status;
    if (status === undefined) throw new JobNotFoundError(jobId);
    if (score === null || status !== "failed") throw new NotDeadLetteredError(jobId, status);
    const entry = entryOf({ function: fn, id: jobId, score }, hash);
    if (!entry) throw new JobNotFoundError(jobId);
    return entry;
  }

  /**
   * Replays one dead job as a new job (a new attempt series, `origin: { kind: "replay" }`) and
   * records the new id on the dead entry, which stays in the set. Refuses an entry already
   * replayed unless `force`. Returns a reference to the new job.
   */
  async replay(jobId: string, options: DeadLetterReplayOptions = {}): Promise<JobRef> {
    rejectUnknown("replay options", options, new Set(["force"]));
    const connection = this.connectionOf();
    const store = this.store(connection);
    const fn = await store.locate(jobId, () => this.functions());
    if (fn === undefined) throw new JobNotFoundError(jobId);
    const [result] = await replayJobs(connection, store, fn, [jobId], {
      force: options.force === true,
      scope: "dead",
    });
    const outcome = result?.outcome ?? { kind: "missing" };
    switch (outcome.kind) {
      case "ok":
        return new JobRef(result?.replayId ?? "", fn, this.connectionOf);
      case "replayed":
        throw new AlreadyReplayedError(jobId, outcome.replayedAs);
      case "not-dead":
        throw new NotDeadLetteredError(jobId, outcome.status);
      case "missing":
        throw new JobNotFoundError(jobId);
    }
  }

  /**
   * Replays every entry in range, `batchSize` per round trip, function by function; entries
   * already replayed are skipped unless `force`. Jobs that die while it runs are left alone.
   */
  async replayAll(
    options: DeadLetterReplayAllOptions = {},
    onProgress?: (progress: DeadLetterReplayProgress) => void,
  ): Promise<DeadLetterReplayAllResult> {
    rejectUnknown("replayAll options", options, REPLAY_ALL_OPTIONS);
    const batchSize = wholeNumber("batchSize", options.batchSize ?? DEFAULT_BATCH, 1, MAX_BATCH);
    const force = options.force === true;
    const connection = this.connectionOf();
    const store = this.store(connection);
    const { range, counts, total, reason } = await this.plan(store, options);
    let done = 0;
    let replayed = 0;
    let skipped = 0;
    const replayIds = async (fn: string, ids: string[]): Promise<void> => {
      const results = await replayJobs(connection, store, fn, ids, { force, scope: "dead" });
      const ok = results.filter((result) => result.outcome.kind === "ok").length;
      replayed += ok;
      skipped += results.length - ok;
      done += ids.length;
      onProgress?.({ done, total: Math.max(total, done), function: fn, replayed, skipped });
    };
    for (const [fn, count] of counts) {
      if (count === 0) continue;
      if (reason !== null) {
        await this.eachBatch(store, fn, range, reason, batchSize, (ids) => replayIds(fn, ids));
        continue;
      }
      let cursor: PageCursor | null = null;
      for (;;) {
        const positions = await store.page([fn], range, cursor, batchSize);
        const last = positions.at(-1);
        if (!last) break;
        cursor = { score: last.score, id: last.id };
        await replayIds(
          fn,
          positions.map((position) => position.id),
        );
        if (positions.length < batchSize) break;
      }
    }
    return { total: Math.max(total, done), replayed, skipped };
  }

  /**
   * Deletes every entry in range and its job hash, oldest first, `batchSize` per round trip.
   * Replays made from those entries are separate jobs and are not touched.
   */
  async purge(
    options: DeadLetterPurgeOptions = {},
    onProgress?: (progress: DeadLetterProgress) => void,
  ): Promise<DeadLetterPurgeResult> {
    rejectUnknown("purge options", options, PURGE_OPTIONS);
    const batchSize = wholeNumber("batchSize", options.batchSize ?? DEFAULT_BATCH, 1, MAX_BATCH);
    const connection = this.connectionOf();
    const store = this.store(connection);
    const { range, counts, total, reason } = await this.plan(store, options);
    let purged = 0;
    for (const [fn, count] of counts) {
      if (count === 0) continue;
      if (reason !== null) {
        await this.eachBatch(store, fn, range, reason, batchSize, async (ids) => {
          purged += (await store.purgeIds(fn, ids)).length;
          onProgress?.({ done: purged, total: Math.max(total, purged), function: fn });
        });
        continue;
      }
      for (;;) {
        const ids = await store.purgeBatch(fn, range, batchSize);
        if (ids.length === 0) break;
        purged += ids.length;
        onProgress?.({ done: purged, total: Math.max(total, purged), function: fn });
        if (ids.length < batchSize) break;
      }
    }
    return { total: Math.max(total, purged), purged };
  }

  /**
   * Deletes the named entries and their job hashes, function by function, in one script call per
   * function. Ids that are not in a dead-letter set (never were, replayed-and-purged, or unknown)
   * are left alone and returned in `notPurged`. Replays made from the entries stay.
   */
  async purgeJobs(jobIds: readonly string[]): Promise<DeadLetterPurgeJobsResult> {
    const connection = this.connectionOf();
    const store = this.store(connection);
    const byFunction = new Map<string, string[]>();
    const unknown: string[] = [];
    for (const jobId of new Set(jobIds)) {
      const fn = await store.locate(jobId, () => this.functions());
      if (fn === undefined) {
        unknown.push(jobId);
        continue;
      }
      byFunction.set(fn, [...(byFunction.get(fn) ?? []), jobId]);
    }
    const purged: string[] = [];
    for (const [fn, ids] of byFunction) purged.push(...(await store.purgeIds(fn, ids)));
    const done = new Set(purged);
    const notPurged = [...unknown, ...[...byFunction.values()].flat().filter((id) => !done.has(id))];
    return { purged, notPurged };
  }

  /** Closes the connection this instance opened (none when it came from a Worker). */
  async close(): Promise<void> {
    await this.owned?.close();
  }

  /**
   * The range of a bulk operation, capped at its start: jobs that die while it runs (a replay
   * failing again, say) are not part of it, so it always ends.
   */
  private async plan(
    store: DeadLetterStore,
    filter: DeadLetterFilter,
  ): Promise<{
    range: ScoreRange;
    counts: Map<string, number>;
    total: number;
    reason: FailureReason | null;
  }> {
    const requested = rangeOf(filter);
    const reason = reasonOf(filter);
    const startedAt = Date.now() + 1;
    const range = {
      since: requested.since,
      before: requested.before === null ? startedAt : Math.min(requested.before, startedAt),
    };
    const counts = await store.count(await this.functionsFor(filter.function), range);
    let total = 0;
    for (const count of counts.values()) total += count;
    // With a reason, `total` counts the whole range: an upper bound for the progress reports.
    return { range, counts, total, reason };
  }
}
