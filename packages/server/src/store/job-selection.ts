/**
 * The jobs a bulk action covers when it is given a filter ("all matching"): counted first, then
 * read in keyset batches (newest first), so a long action never holds one big result set.
 */
import type { Kysely } from "kysely";
import {
  type JobListFilter,
  type JobSummaryRow,
  type KeysetPage,
  filterConditions,
  listJobs,
} from "./job-queries.js";
import { type Cursor, parseCursor } from "./keyset.js";
import type { HistorySchema } from "./schema.js";

export async function countJobs(db: Kysely<HistorySchema>, filter: JobListFilter): Promise<number> {
  const row = await db
    .selectFrom("jobs")
    .select((eb) => eb.fn.countAll<number | string>().as("count"))
    .where((eb) => eb.and(filterConditions(eb, filter)))
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** The ids matching the filter, `batchSize` at a time, at most `limit` in all. */
export async function* jobIdBatches(
  read: <T>(query: (db: Kysely<HistorySchema>) => Promise<T>) => Promise<T>,
  filter: JobListFilter,
  batchSize: number,
  limit: number,
): AsyncIterable<string[]> {
  let cursor: Cursor | undefined;
  let yielded = 0;
  while (yielded < limit) {
    const after = cursor;
    const page: KeysetPage<JobSummaryRow> = await read((db) =>
      listJobs(db, filter, { limit: Math.min(batchSize, limit - yielded), cursor: after }),
    );
    if (page.items.length === 0) return;
    yielded += page.items.length;
    yield page.items.map((row) => row.id);
    if (page.nextCursor === null) return;
    // listJobs made this cursor (created_at, id): it always parses.
    cursor = parseCursor(page.nextCursor, 2);
    if (cursor === undefined) throw new Error(`jobIdBatches: unreadable cursor ${page.nextCursor}`);
  }
}
