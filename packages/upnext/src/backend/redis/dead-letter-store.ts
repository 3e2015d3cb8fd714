/**
 * The dead-letter store (backend/dead-letter-store.ts) on Redis: paging through them in a stable order, reading dead jobs,
 * marking them replayed and purging them. Every script touches one function's keys only (its
 * dead-letter set and job hashes share a hash tag); the namespace-wide id index is read and
 * cleaned with plain commands beside them.
 */
import {
  compareNewestFirst,
  type DeadLetterPosition,
  type DeadLetterStore,
  type PageCursor,
  type PageOrder,
  type ReplayScope,
  type Reservation,
  type ReserveOutcome,
  type ScoreRange,
} from "../dead-letter-store.js";
import type { RedisBackend } from "./redis-backend.js";
import { asArray, asString } from "./reply-cells.js";
import { pipeScript, runScript } from "./scripts.js";

function compareOldestFirst(a: DeadLetterPosition, b: DeadLetterPosition): number {
  return compareNewestFirst(b, a);
}

export class RedisDeadLetterStore implements DeadLetterStore {
  constructor(private readonly backend: RedisBackend) {}

  private get redis() {
    return this.backend.redis;
  }

  private bounds(range: ScoreRange): { min: string; max: string } {
    return {
      min: range.since === null ? "-inf" : String(range.since),
      max: range.before === null ? "+inf" : `(${range.before}`,
    };
  }

  /**
   * Up to `limit` entries of each function after `cursor` (in `order`), merged and cut to
   * `limit`. One pipelined round trip whatever the number of functions.
   */
  async page(
    functions: readonly string[],
    range: ScoreRange,
    cursor: PageCursor | null,
    limit: number,
    order: PageOrder = "older",
  ): Promise<DeadLetterPosition[]> {
    if (functions.length === 0 || limit <= 0) return [];
    const { min, max } = this.bounds(range);
    const at = cursor === null ? Number.NaN : Number(cursor.score);
    let args: (string | number)[];
    if (order === "older") {
      // A cursor at or past the upper bound (the range changed between pages) is just the bound.
      const useCursor = cursor !== null && (range.before === null || at < range.before);
      // A cursor below the lower bound: everything after it is out of range.
      if (useCursor && range.since !== null && at < range.since) return [];
      args = useCursor ? [min, cursor.score, cursor.id, limit] : [min, max, "", limit];
    } else {
      // A cursor below the lower bound is just the bound; one at or past the upper bound has
      // nothing newer in range.
      const useCursor = cursor !== null && (range.since === null || at >= range.since);
      if (useCursor && range.before !== null && at >= range.before) return [];
      args = useCursor ? [cursor.score, max, cursor.id, limit, "asc"] : [min, max, "", limit, "asc"];
    }
    const pipeline = this.redis.pipeline();
    for (const fn of functions) {
      pipeScript(pipeline, "dead-letter-page", [this.backend.keysOf(fn).deadLetter], args);
    }
    const replies = (await pipeline.exec()) ?? [];
    const merged: DeadLetterPosition[] = [];
    replies.forEach(([error, reply], index) => {
      if (error) throw error;
      const fn = functions[index];
      if (fn === undefined) return;
      const flat = asArray(reply);
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const id = asString(flat[i]);
        const score = asString(flat[i + 1]);
        if (id !== null && score !== null) merged.push({ function: fn, id, score });
      }
    });
    return merged.sort(order === "older" ? compareNewestFirst : compareOldestFirst).slice(0, limit);
  }

  /** Entries per function in the range (ZCOUNT, pipelined). */
  async count(functions: readonly string[], range: ScoreRange): Promise<Map<string, number>> {
    const { min, max } = this.bounds(range);
    const pipeline = this.redis.pipeline();
    for (const fn of functions) pipeline.zcount(this.backend.keysOf(fn).deadLetter, min, max);
    const replies = (await pipeline.exec()) ?? [];
    const counts = new Map<string, number>();
    replies.forEach(([error, reply], index) => {
      if (error) throw error;
      const fn = functions[index];
      if (fn !== undefined) counts.set(fn, Number(reply ?? 0));
    });
    return counts;
  }

  /** The stored hashes of dead jobs (empty when a hash has expired), one round trip. */
  async read(positions: readonly DeadLetterPosition[]): Promise<Record<string, string>[]> {
    if (positions.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const position of positions)
      pipeline.hgetall(this.backend.keysOf(position.function).job(position.id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, reply]) => {
      if (error) throw error;
      return (reply ?? {}) as Record<string, string>;
    });
  }

  /**
   * The function a job belongs to: from the id index, or (when the index entry is gone) from
   * whichever dead-letter set holds the id.
   */
  async locate(jobId: string, functions: () => Promise<string[]>): Promise<string | undefined> {
    const indexed = await this.backend.functionOf(jobId);
    if (indexed !== undefined) return indexed;
    const candidates = await functions();
    if (candidates.length === 0) return undefined;
    const pipeline = this.redis.pipeline();
    for (const fn of candidates) pipeline.zscore(this.backend.keysOf(fn).deadLetter, jobId);
    const replies = (await pipeline.exec()) ?? [];
    const index = replies.findIndex(([error, reply]) => !error && reply !== null);
    return index < 0 ? undefined : candidates[index];
  }

  /** The job's score in its function's dead-letter set, or null when it is not there. */
  async scoreOf(fn: string, jobId: string): Promise<string | null> {
    return this.redis.zscore(this.backend.keysOf(fn).deadLetter, jobId);
  }

  async jobHash(fn: string, jobId: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.backend.keysOf(fn).job(jobId));
  }

  /** Failure reasons of dead jobs (null when the hash has expired), one round trip. */
  async reasons(positions: readonly DeadLetterPosition[]): Promise<(string | null)[]> {
    if (positions.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const position of positions)
      pipeline.hget(this.backend.keysOf(position.function).job(position.id), "reason");
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, reply]) => {
      if (error) throw error;
      return typeof reply === "string" ? reply : null;
    });
  }

  /**
   * Marks jobs of one function as replayed by the given new ids (compare-and-set each): entries
   * of the dead-letter set, or with scope "finished" any failed or cancelled job.
   */
  async reserve(
    fn: string,
    pairs: readonly { readonly id: string; readonly replayId: string }[],
    now: number,
    force: boolean,
    scope: ReplayScope = "dead",
  ): Promise<ReserveOutcome[]> {
    if (pairs.length === 0) return [];
    const keys = this.backend.keysOf(fn);
    const args: (string | number)[] = [scope === "dead" ? "reserve" : "reserve-finished", now, force ? 1 : 0];
    for (const pair of pairs) args.push(pair.id, pair.replayId);
    const reply = asArray(
      await runScript(this.redis, "dead-letter-replay", [keys.deadLetter, keys.jobPrefix], args),
    );
    return reply.map((row): ReserveOutcome => {
      const values = asArray(row);
      switch (asString(values[0])) {
        case "ok":
          return {
            kind: "ok",
            // {'ok', previous replayedAs, previous replayedAt, ...SOURCE_FIELDS of the script}
            source: {
              previousReplayedAs: asString(values[1]),
              previousReplayedAt: asString(values[2]),
              input: asString(values[3]) ?? "null",
              maxAttempts: asString(values[4]),
              maxDeliveries: asString(values[5]),
              priority: asString(values[6]),
              parentId: asString(values[7]),
              rootId: asString(values[8]),
              timeout: asString(values[9]),
              tags: asString(values[10]),
              metadata: asString(values[11]),
              rateKey: asString(values[12]),
            },
          };
        case "replayed":
          return { kind: "replayed", replayedAs: asString(values[1]) ?? "" };
        case "not-dead":
          return { kind: "not-dead", status: asString(values[1]) ?? "unknown" };
        default:
          return { kind: "missing" };
      }
    });
  }

  /** Takes back marks whose replays could not be enqueued. */
  async release(fn: string, reservations: readonly Reservation[]): Promise<number> {
    if (reservations.length === 0) return 0;
    const keys = this.backend.keysOf(fn);
    const args: string[] = ["release"];
    for (const r of reservations) {
      args.push(r.id, r.replayId, r.previousReplayedAs ?? "", r.previousReplayedAt ?? "");
    }
    return Number(await runScript(this.redis, "dead-letter-replay", [keys.deadLetter, keys.jobPrefix], args));
  }

  /** Deletes up to `limit` of one function's dead jobs in the range, oldest first; returns their ids. */
  async purgeBatch(fn: string, range: ScoreRange, limit: number): Promise<string[]> {
    const { min, max } = this.bounds(range);
    return this.purge(fn, [min, max, limit]);
  }

  /** Deletes the named entries of one function that are still in its set; returns their ids. */
  async purgeIds(fn: string, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    return this.purge(fn, ["ids", ...ids]);
  }

  private async purge(fn: string, args: readonly (string | number)[]): Promise<string[]> {
    const keys = this.backend.keysOf(fn);
    const ids = asArray(
      await runScript(this.redis, "dead-letter-purge", [keys.deadLetter, keys.jobPrefix], args),
    )
      .map(asString)
      .filter((id): id is string => id !== null);
    if (ids.length > 0) {
      // The index lives outside the function's slot: one UNLINK per key keeps it Cluster-safe.
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.unlink(this.backend.keys.jobIndex(id));
      await pipeline.exec();
    }
    return ids;
  }
}
