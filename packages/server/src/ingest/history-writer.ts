/**
 * Applies a batch of job events to the history in ONE transaction:
 *
 * 1. The events go into job_events keyed by their stream entry id (`on conflict do nothing`):
 *    an entry ingested before (a re-delivery, a second replica) is recognised here and changes
 *    nothing further.
 * 2. The rows of the batch's jobs are read and locked (`FOR UPDATE` on PostgreSQL; SQLite's write
 *    lock covers the whole transaction), folded with their new events (job-fold.ts), and
 *    written back with one multi-row upsert whose `where` repeats the ordering rule, so no write
 *    can regress a row even if a lock were missing (store/bulk-writes.ts). New rows are inserted `on conflict do
 *    nothing`; a row another replica inserted meanwhile is read, locked and folded again.
 * 3. Tags, hourly and minute rollups (counted from the fold's changes only) and late parent links follow.
 */
import { type Kysely, sql } from "kysely";
import { type IngestedEvent, type JobFold, type RollupDelta, foldJob } from "./job-fold.js";
import { type BulkWrites, bulkWrites, chunks } from "../store/bulk-writes.js";
import type { HistoryDatabase } from "../store/database.js";
import type { HistorySchema, JobRow, RollupTable } from "../store/schema.js";
import { minuteStart } from "../store/stats-queries.js";
import { writeTransaction } from "../store/write-transaction.js";

/** Tag and rollup rows per statement. */
const SMALL_ROWS_PER_STATEMENT = 1_000;
/** Ids per `in (...)` list. */
const IDS_PER_STATEMENT = 1_000;

export interface BatchOutcome {
  /** Job events stored by this batch. */
  readonly stored: number;
  /** Job events that were already stored (same entry id): nothing was changed for them. */
  readonly duplicates: number;
  /** Jobs whose row this batch created. */
  readonly insertedJobIds: readonly string[];
  /** Job rows this batch changed (created ones included). */
  readonly changedJobs: number;
}

type Db = Kysely<HistorySchema>;

export async function writeBatch(
  database: HistoryDatabase,
  events: readonly IngestedEvent[],
  now: number = Date.now(),
): Promise<BatchOutcome> {
  if (events.length === 0) return { stored: 0, duplicates: 0, insertedJobIds: [], changedJobs: 0 };
  const lock = database.dialect === "postgres";
  const writes = bulkWrites(database.dialect);
  return writeTransaction(database, async (trx) => {
    const fresh = await storeEvents(trx, writes, events);
    const byJob = groupByJob(events.filter((entry) => fresh.has(entry.id)));
    const jobIds = [...byJob.keys()].sort();

    const stored = await readRows(trx, jobIds, lock);
    // A job without a row has no earlier events: only the stored ones need looking up.
    const countable = await countableEvents(trx, byJob, fresh, stored);
    const folds = new Map<string, JobFold>();
    for (const jobId of jobIds) folds.set(jobId, fold(jobId, stored.get(jobId), byJob, countable, now));

    const created = jobIds
      .filter((id) => !stored.has(id))
      .map((id) => folds.get(id)?.row)
      .filter((row): row is JobRow => row !== undefined);
    const inserted = new Set(await writes.insertJobs(trx, created));
    // Rows another replica created after our read: fold again over what it stored.
    const raced = jobIds.filter((id) => !stored.has(id) && !inserted.has(id));
    if (raced.length > 0) {
      const theirs = await readRows(trx, raced, lock);
      const recount = await countableEvents(trx, pick(byJob, raced), fresh, theirs);
      for (const id of raced) folds.set(id, fold(id, theirs.get(id), byJob, recount, now));
    }

    const updates = jobIds
      .filter((id) => !inserted.has(id))
      .map((id) => folds.get(id))
      .filter((result): result is JobFold => result?.changed === true)
      .map((result) => result.row);
    await writes.updateJobs(trx, updates);
    await upsertTags(trx, folds);
    await addRollups(
      trx,
      [...folds.values()].flatMap((result) => result.rollups),
    );
    const orphans = jobIds.filter((id) => {
      const row = folds.get(id)?.row;
      return row?.parent_id === null && row.reported_parent_id !== null;
    });
    await linkParents(trx, orphans, [...inserted]);

    return {
      stored: fresh.size,
      duplicates: events.length - fresh.size,
      insertedJobIds: [...inserted],
      changedJobs: inserted.size + updates.length,
    };
  });
}

function fold(
  jobId: string,
  stored: JobRow | undefined,
  byJob: ReadonlyMap<string, IngestedEvent[]>,
  countable: ReadonlySet<string>,
  now: number,
): JobFold {
  return foldJob({ stored, events: byJob.get(jobId) ?? [], countable, now });
}

/** Inserts the events; returns the entry ids that were not stored before. */
async function storeEvents(
  trx: Db,
  writes: BulkWrites,
  events: readonly IngestedEvent[],
): Promise<Set<string>> {
  const rows = events.map(({ id, event }) => ({
    id,
    job_id: event.jobId,
    type: event.type,
    attempt: event.attempt,
    at: event.at,
    data: JSON.stringify(event.data),
  }));
  return new Set(await writes.insertEvents(trx, rows));
}

function groupByJob(events: readonly IngestedEvent[]): Map<string, IngestedEvent[]> {
  const byJob = new Map<string, IngestedEvent[]>();
  for (const entry of events) {
    const list = byJob.get(entry.event.jobId);
    if (list) list.push(entry);
    else byJob.set(entry.event.jobId, [entry]);
  }
  return byJob;
}

function pick<V>(map: ReadonlyMap<string, V>, keys: readonly string[]): Map<string, V> {
  const out = new Map<string, V>();
  for (const key of keys) {
    const value = map.get(key);
    if (value !== undefined) out.set(key, value);
  }
  return out;
}

async function readRows(trx: Db, ids: readonly string[], lock: boolean): Promise<Map<string, JobRow>> {
  const rows = new Map<string, JobRow>();
  for (const chunk of chunks(ids, IDS_PER_STATEMENT)) {
    // Sorted ids and ORDER BY id: replicas lock rows in the same order, so they queue, not deadlock.
    const query = trx.selectFrom("jobs").selectAll().where("id", "in", chunk).orderBy("id");
    for (const row of await (lock ? query.forUpdate() : query).execute()) rows.set(row.id, row);
  }
  return rows;
}

/**
 * Entry ids of `started` / `retrying` events that are the first with their (job, type, attempt,
 * at): a publisher's retried write stores the same event under a second entry id, which must not
 * count twice. Read after the job's row is locked, so a concurrent replica's copy is visible.
 */
async function countableEvents(
  trx: Db,
  byJob: ReadonlyMap<string, IngestedEvent[]>,
  fresh: ReadonlySet<string>,
  stored: ReadonlyMap<string, JobRow>,
): Promise<Set<string>> {
  const counted = (type: string, jobId: string, attempt: number, at: number): string =>
    `${type}\u0000${jobId}\u0000${attempt}\u0000${at}`;
  const jobIds = [...byJob]
    .filter(([, list]) => list.some(({ event }) => event.type === "started" || event.type === "retrying"))
    .map(([jobId]) => jobId);
  const seen = new Set<string>();
  const lookUp = jobIds.filter((jobId) => stored.has(jobId));
  for (const chunk of chunks(lookUp, IDS_PER_STATEMENT)) {
    const earlier = await trx
      .selectFrom("job_events")
      .select(["id", "job_id", "type", "attempt", "at"])
      .where("job_id", "in", chunk)
      .where("type", "in", ["started", "retrying"])
      .execute();
    for (const row of earlier) {
      if (!fresh.has(row.id)) seen.add(counted(row.type, row.job_id, row.attempt, row.at));
    }
  }
  const countable = new Set<string>();
  for (const jobId of jobIds) {
    for (const { id, event } of byJob.get(jobId) ?? []) {
      if (event.type !== "started" && event.type !== "retrying") continue;
      const key = counted(event.type, jobId, event.attempt, event.at);
      if (seen.has(key)) continue;
      seen.add(key);
      countable.add(id);
    }
  }
  return countable;
}

async function upsertTags(trx: Db, folds: ReadonlyMap<string, JobFold>): Promise<void> {
  const rows = [...folds].flatMap(([jobId, result]) =>
    Object.entries(result.tags).map(([key, value]) => ({ job_id: jobId, key, value })),
  );
  for (const chunk of chunks(rows, SMALL_ROWS_PER_STATEMENT)) {
    await trx
      .insertInto("job_tags")
      .values(chunk)
      .onConflict((conflict) =>
        conflict.columns(["job_id", "key"]).doUpdateSet((eb) => ({ value: eb.ref("excluded.value") })),
      )
      .execute();
  }
}

/** Adds the deltas to the hourly rollups and to the minute rollups (the short windows). */
async function addRollups(trx: Db, deltas: readonly RollupDelta[]): Promise<void> {
  await addRollupRows(trx, "job_rollups", deltas, (delta) => delta.bucket);
  await addRollupRows(trx, "job_rollups_minute", deltas, (delta) => minuteStart(delta.at));
}

async function addRollupRows(
  trx: Db,
  table: RollupTable,
  deltas: readonly RollupDelta[],
  bucketOf: (delta: RollupDelta) => number,
): Promise<void> {
  const sums = new Map<string, RollupDelta>();
  for (const delta of deltas) {
    const bucket = bucketOf(delta);
    const key = `${bucket}\u0000${delta.function}\u0000${delta.outcome}`;
    const sum = sums.get(key);
    sums.set(
      key,
      sum
        ? {
            ...sum,
            count: sum.count + delta.count,
            durationMs: sum.durationMs + delta.durationMs,
            queueWaitMs: sum.queueWaitMs + delta.queueWaitMs,
          }
        : { ...delta, bucket },
    );
  }
  // One order for every replica, so two transactions adding to the same buckets never deadlock.
  const rows = [...sums.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, sum]) => ({
      bucket: sum.bucket,
      function: sum.function,
      outcome: sum.outcome,
      count: sum.count,
      duration_ms_total: sum.durationMs,
      queue_wait_ms_total: sum.queueWaitMs,
    }));
  const column = (name: string) => sql.ref(`${table}.${name}`);
  for (const chunk of chunks(rows, SMALL_ROWS_PER_STATEMENT)) {
    await trx
      .insertInto(table)
      .values(chunk)
      .onConflict((conflict) =>
        conflict.columns(["bucket", "function", "outcome"]).doUpdateSet({
          count: sql<number>`${column("count")} + excluded.count`,
          duration_ms_total: sql<number>`${column("duration_ms_total")} + excluded.duration_ms_total`,
          queue_wait_ms_total: sql<number>`${column("queue_wait_ms_total")} + excluded.queue_wait_ms_total`,
        }),
      )
      .execute();
  }
}

/**
 * The foreign key parent_id is set only once the parent's row exists: for this batch's jobs not
 * linked yet whose parent is now stored, and for stored children of the jobs this batch created.
 */
async function linkParents(trx: Db, jobIds: readonly string[], inserted: readonly string[]): Promise<void> {
  const link = (where: "id" | "reported_parent_id", ids: readonly string[]) =>
    trx
      .updateTable("jobs")
      .set((eb) => ({ parent_id: eb.ref("reported_parent_id") }))
      .where("parent_id", "is", null)
      .where("reported_parent_id", "is not", null)
      .where(where, "in", ids)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom("jobs as parent")
            .select(sql.lit(1).as("one"))
            .whereRef("parent.id", "=", "jobs.reported_parent_id"),
        ),
      )
      .execute();
  for (const chunk of chunks(jobIds, IDS_PER_STATEMENT)) await link("id", chunk);
  for (const chunk of chunks(inserted, IDS_PER_STATEMENT)) await link("reported_parent_id", chunk);
}
