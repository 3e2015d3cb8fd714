/**
 * Reads of the jobs table for the REST API: the filtered list, one job, its tree and its DAG
 * links. Every list is a keyset page on (created_at, id) through http/pagination.ts, so a deep
 * page costs what the first does; each query is shaped to ride an index (docs/server.md,
 * "Queries and indexes").
 */
import type { JobStatus } from "@upnext/core";
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from "kysely";
import { type Cursor, type ListOrder, keysetCondition, queryOrder, toPage } from "./keyset.js";
import type { TagFilter } from "./tag-filter.js";
import type { HistorySchema, JobKind, JobRow } from "./schema.js";
import { drivingTag, tagCondition } from "./tag-filter.js";

export interface JobListFilter {
  readonly functions?: readonly string[] | undefined;
  readonly statuses?: readonly JobStatus[] | undefined;
  readonly kinds?: readonly JobKind[] | undefined;
  /** created_at >= from (epoch ms). */
  readonly from?: number | undefined;
  /** created_at < to (epoch ms). */
  readonly to?: number | undefined;
  readonly tags?: readonly TagFilter[] | undefined;
  readonly parentId?: string | undefined;
  readonly rootId?: string | undefined;
  readonly workerId?: string | undefined;
  /** Free text: an id (exact or prefix) or a substring of the error message (job-search.ts). */
  readonly q?: string | undefined;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor: Cursor | undefined;
}

export interface KeysetPage<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
  readonly prevCursor: string | null;
}

/** The columns a list row shows; the heavy JSON (input, result, error, metadata, checkpoint) stays out. */
export const SUMMARY_COLUMNS = [
  "id",
  "function",
  "kind",
  "status",
  "failure_reason",
  "attempt",
  "max_attempts",
  "priority",
  "parent_id",
  "reported_parent_id",
  "root_id",
  "worker_id",
  "progress",
  "progress_message",
  "error_message",
  "tags",
  "created_at",
  "scheduled_at",
  "started_at",
  "finished_at",
  "updated_at",
  "queue_wait_ms",
  "duration_ms",
] as const;

export type JobSummaryRow = Pick<JobRow, (typeof SUMMARY_COLUMNS)[number]>;

export const LIST_KEY = ["created_at", "id"] as const;

/** The cursor key of a row in a (created_at, id) list. */
export function jobKeyOf(row: Pick<JobRow, "created_at" | "id">): [number, string] {
  return [row.created_at, row.id];
}

type JobsExpressions = ExpressionBuilder<HistorySchema, "jobs">;

/**
 * The filter's conditions on jobs, all but the free text `q` (see job-search.ts); `driving` is
 * the tag the query starts from (tag-filter.ts).
 */
export function filterConditions(
  eb: JobsExpressions,
  filter: JobListFilter,
  driving?: TagFilter,
): Expression<SqlBool>[] {
  const conditions: Expression<SqlBool>[] = [];
  const { functions, statuses, kinds, tags } = filter;
  if (functions?.length === 1) conditions.push(eb("function", "=", functions[0] ?? ""));
  else if (functions && functions.length > 1) conditions.push(eb("function", "in", functions));
  if (statuses?.length === 1) conditions.push(eb("status", "=", statuses[0] ?? "queued"));
  else if (statuses && statuses.length > 1) conditions.push(eb("status", "in", statuses));
  if (kinds && kinds.length > 0) conditions.push(eb("kind", "in", kinds));
  if (filter.from !== undefined) conditions.push(eb("created_at", ">=", filter.from));
  if (filter.to !== undefined) conditions.push(eb("created_at", "<", filter.to));
  if (filter.rootId !== undefined) conditions.push(eb("root_id", "=", filter.rootId));
  if (filter.workerId !== undefined) conditions.push(eb("worker_id", "=", filter.workerId));
  if (filter.parentId !== undefined) {
    // A child ingested before its parent has no parent_id yet, only the reported one.
    conditions.push(
      eb.or([eb("parent_id", "=", filter.parentId), eb("reported_parent_id", "=", filter.parentId)]),
    );
  }
  for (const tag of tags ?? []) conditions.push(tagCondition(eb, tag, tag === driving));
  return conditions;
}

/** One page of jobs matching the filter (but `q`: see searchJobs), newest first. */
export async function listJobs(
  db: Kysely<HistorySchema>,
  filter: JobListFilter,
  page: PageRequest,
): Promise<KeysetPage<JobSummaryRow>> {
  const { limit, cursor } = page;
  const direction = queryOrder(cursor);
  const driving = await drivingTag(db, filter.tags);
  const rows = await db
    .selectFrom("jobs")
    .select(SUMMARY_COLUMNS)
    .where((eb) => {
      const conditions = filterConditions(eb, filter, driving);
      if (cursor) conditions.push(keysetCondition(LIST_KEY, cursor));
      return eb.and(conditions);
    })
    .orderBy("created_at", direction)
    .orderBy("id", direction)
    .limit(limit + 1)
    .execute();
  return toPage(rows, { limit, cursor, keyOf: jobKeyOf });
}

export async function findJob(db: Kysely<HistorySchema>, id: string): Promise<JobRow | undefined> {
  return db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The job's root id, or undefined when the history does not hold the job (a primary-key probe). */
export async function findJobRoot(db: Kysely<HistorySchema>, id: string): Promise<string | undefined> {
  const row = await db.selectFrom("jobs").select("root_id").where("id", "=", id).executeTakeFirst();
  return row?.root_id;
}

export interface JobLinkRow {
  readonly id: string;
  readonly function: string;
  readonly status: JobStatus;
  readonly root_id: string;
}

/** The jobs among `ids` the history holds (by primary key). */
export async function findJobLinks(db: Kysely<HistorySchema>, ids: readonly string[]): Promise<JobLinkRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom("jobs")
    .select(["id", "function", "status", "root_id"])
    .where("id", "in", ids)
    .orderBy("id")
    .execute();
}

export async function countChildren(db: Kysely<HistorySchema>, id: string): Promise<number> {
  const row = await db
    .selectFrom("jobs")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where((eb) => eb.or([eb("parent_id", "=", id), eb("reported_parent_id", "=", id)]))
    .executeTakeFirst();
  return row?.count ?? 0;
}

export type TimelineRow = JobSummaryRow & Pick<JobRow, "depends_on">;

/** One page of a job tree (every job with this root), oldest first. */
export async function listTree(
  db: Kysely<HistorySchema>,
  rootId: string,
  page: PageRequest,
): Promise<KeysetPage<TimelineRow>> {
  const { limit, cursor } = page;
  const order: ListOrder = "asc";
  const direction = queryOrder(cursor, order);
  let query = db
    .selectFrom("jobs")
    .select([...SUMMARY_COLUMNS, "depends_on"])
    .where("root_id", "=", rootId);
  if (cursor) query = query.where(keysetCondition(LIST_KEY, cursor, order));
  const rows = await query
    .orderBy("created_at", direction)
    .orderBy("id", direction)
    .limit(limit + 1)
    .execute();
  return toPage(rows, { limit, cursor, keyOf: jobKeyOf });
}

export interface OldestQueuedRow {
  readonly id: string;
  readonly function: string;
  readonly created_at: number;
}

/** The jobs queued the longest, over every function (the (status, created_at, id) index). */
export async function oldestQueued(db: Kysely<HistorySchema>, limit: number): Promise<OldestQueuedRow[]> {
  return db
    .selectFrom("jobs")
    .select(["id", "function", "created_at"])
    .where("status", "=", "queued")
    .orderBy("created_at", "asc")
    .orderBy("id", "asc")
    .limit(limit)
    .execute();
}

/** The oldest queued job of each function: one index probe per function, in one statement. */
export async function oldestQueuedPerFunction(
  db: Kysely<HistorySchema>,
  functions: readonly string[],
): Promise<Map<string, number>> {
  // Each probe is a derived table so it keeps its own ORDER BY and LIMIT (SQLite allows neither
  // on a bare branch of a UNION).
  const probe = (fn: string, index: number) =>
    db
      .selectFrom((inner) =>
        inner
          .selectFrom("jobs")
          .select(["function", "created_at"])
          .where("function", "=", fn)
          .where("status", "=", "queued")
          .orderBy("created_at", "asc")
          .limit(1)
          .as(`p${index}`),
      )
      .selectAll();
  const [first, ...rest] = functions;
  if (first === undefined) return new Map();
  let query = probe(first, 0);
  rest.forEach((fn, index) => {
    query = query.unionAll(probe(fn, index + 1));
  });
  const rows = await query.execute();
  return new Map(rows.map((row) => [row.function, row.created_at]));
}

export interface ActiveSinceRow {
  readonly id: string;
  readonly function: string;
  readonly worker_id: string | null;
  readonly started_at: number | null;
}

/** Active jobs started before `startedBefore`, longest running first (the (status, started_at) index). */
export async function activeStartedBefore(
  db: Kysely<HistorySchema>,
  startedBefore: number,
  limit: number,
): Promise<ActiveSinceRow[]> {
  return db
    .selectFrom("jobs")
    .select(["id", "function", "worker_id", "started_at"])
    .where("status", "=", "active")
    .where("started_at", "<", startedBefore)
    .orderBy("started_at", "asc")
    .limit(limit)
    .execute();
}

/**
 * Run times of the function's most recently created completed jobs since `since`, at most
 * `limit` of them: a bounded sample for percentiles, never a scan of the window.
 */
export async function recentDurations(
  db: Kysely<HistorySchema>,
  fn: string,
  since: number,
  limit: number,
): Promise<number[]> {
  const rows = await db
    .selectFrom("jobs")
    .select("duration_ms")
    .where("function", "=", fn)
    .where("status", "=", "complete")
    .where("created_at", ">=", since)
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute();
  return rows.flatMap((row) => (row.duration_ms === null ? [] : [row.duration_ms]));
}
