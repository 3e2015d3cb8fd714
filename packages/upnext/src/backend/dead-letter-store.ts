/**
 * A port of the store: the dead-letter sets. Paging through them in a stable order (newest first,
 * ties by id), reading dead jobs, reserving them for a replay (compare-and-set: a job is replayed
 * once unless forced) and purging them. backend/redis/dead-letter-store.ts implements it.
 */

/** A dead-letter set member: the job and when it died (the set's score, kept as Redis prints it). */
export interface DeadLetterPosition {
  readonly function: string;
  readonly id: string;
  /** The score as text, so a cursor built from it matches the stored score exactly. */
  readonly score: string;
}

/** A time range over the sets' scores: `since` included, `before` excluded (both ms). */
export interface ScoreRange {
  readonly since: number | null;
  readonly before: number | null;
}

/** Where a page starts: after this entry in (time died, id) descending order. */
export interface PageCursor {
  readonly score: string;
  readonly id: string;
}

/** "older": the entries after a cursor, newest first; "newer": those before it, oldest first. */
export type PageOrder = "older" | "newer";

/** Which jobs a replay reservation accepts: dead-lettered ones only, or any failed or cancelled job. */
export type ReplayScope = "dead" | "finished";

/** The fields a replay needs from the dead job, read when the entry is reserved. */
export interface ReplaySource {
  readonly input: string;
  readonly maxAttempts: string | null;
  readonly maxDeliveries: string | null;
  readonly priority: string | null;
  readonly parentId: string | null;
  readonly rootId: string | null;
  readonly timeout: string | null;
  readonly tags: string | null;
  readonly metadata: string | null;
  readonly rateKey: string | null;
  readonly previousReplayedAs: string | null;
  readonly previousReplayedAt: string | null;
}

export type ReserveOutcome =
  | { readonly kind: "ok"; readonly source: ReplaySource }
  | { readonly kind: "replayed"; readonly replayedAs: string }
  | { readonly kind: "not-dead"; readonly status: string }
  | { readonly kind: "missing" };

export interface Reservation {
  readonly id: string;
  readonly replayId: string;
  readonly previousReplayedAs: string | null;
  readonly previousReplayedAt: string | null;
}

/** Sorts newest first, ties by id descending: the order of every page. */
export function compareNewestFirst(a: DeadLetterPosition, b: DeadLetterPosition): number {
  const byScore = Number(b.score) - Number(a.score);
  if (byScore !== 0) return byScore;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export interface DeadLetterStore {
  /** Up to `limit` entries of the functions after `cursor`, in `order`, merged across functions. */
  page(
    functions: readonly string[],
    range: ScoreRange,
    cursor: PageCursor | null,
    limit: number,
    order?: PageOrder,
  ): Promise<DeadLetterPosition[]>;
  /** Entries per function within the range. */
  count(functions: readonly string[], range: ScoreRange): Promise<Map<string, number>>;
  /** The stored fields of each job (see job-record.ts); an empty record for a job that expired. */
  read(positions: readonly DeadLetterPosition[]): Promise<Record<string, string>[]>;
  /** The function whose dead-letter set holds the job, if any. */
  locate(jobId: string, functions: () => Promise<string[]>): Promise<string | undefined>;
  /** When the job died (its position's score), or null when it is not dead-lettered. */
  scoreOf(fn: string, jobId: string): Promise<string | null>;
  /** The stored fields of one job. */
  jobHash(fn: string, jobId: string): Promise<Record<string, string>>;
  /** The failure reason of each entry (null when its job expired). */
  reasons(positions: readonly DeadLetterPosition[]): Promise<(string | null)[]>;
  /** Marks jobs of one function as replayed by the given new ids, each a compare-and-set. */
  reserve(
    fn: string,
    pairs: readonly { readonly id: string; readonly replayId: string }[],
    now: number,
    force: boolean,
    scope?: ReplayScope,
  ): Promise<ReserveOutcome[]>;
  /** Takes back reservations whose replays could not be enqueued; returns how many. */
  release(fn: string, reservations: readonly Reservation[]): Promise<number>;
  /** Deletes up to `limit` of one function's dead jobs in the range, oldest first; returns their ids. */
  purgeBatch(fn: string, range: ScoreRange, limit: number): Promise<string[]>;
  /** Deletes the named entries of one function that are still in its set; returns their ids. */
  purgeIds(fn: string, ids: readonly string[]): Promise<string[]>;
}
