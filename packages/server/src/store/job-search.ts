/**
 * Search of the jobs list (`q`), in one of two modes:
 * - By id: when some job's id starts with `q` (exact ids included), the page holds the jobs whose
 *   id starts with it, at any age, in id order (newest first for generated ids, which are ULIDs).
 *   An index of the id serves it, bytewise (see bytewiseId).
 * - By text: otherwise, a substring of the error message, case-insensitive, with LIKE wildcards
 *   taken literally. No index serves a substring, so each request examines at most
 *   SEARCH_SCAN_ROWS jobs (those matching the other filters, newest first from the cursor): a
 *   rare term never reads the whole history in one request. A page that stopped at that bound may
 *   hold fewer than `limit` jobs, even none, and still has a `next` cursor that carries on from
 *   where the scan stopped.
 */
import { isValidJobId } from "@upnext/core";
import { type Expression, type Kysely, PostgresAdapter, type SqlBool, sql } from "kysely";
import { encodeCursor, keysetCondition, queryOrder, toPage } from "./keyset.js";
import {
  type JobListFilter,
  type JobSummaryRow,
  type KeysetPage,
  LIST_KEY,
  type PageRequest,
  SUMMARY_COLUMNS,
  filterConditions,
  jobKeyOf,
} from "./job-queries.js";
import type { HistorySchema } from "./schema.js";

/** Jobs one search request examines at most. */
export const SEARCH_SCAN_ROWS = 20_000;

/** `LIKE` pattern that matches `text` literally: the wildcards and the escape are escaped. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** Past every character, so [q, q + this) holds exactly the strings that start with q (bytewise). */
const LAST_CHARACTER = String.fromCodePoint(0x10ffff);

/**
 * The id as the id search compares and orders it: bytewise, so a prefix is one range of an
 * index and the page order is that index's order (SQLite's primary key; on PostgreSQL the
 * `id collate "C"` index of migration 0006, whatever the database's own collation).
 */
function bytewiseId(db: Kysely<HistorySchema>) {
  const onPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const id = onPostgres ? sql<string>`(${sql.ref("id")} collate "C")` : sql<string>`${sql.ref("id")}`;
  return {
    id,
    startsWith: (prefix: string): Expression<SqlBool> =>
      onPostgres
        ? sql<SqlBool>`${id} like ${`${likeLiteral(prefix)}%`}`
        : sql<SqlBool>`(${id} >= ${prefix} and ${id} < ${prefix + LAST_CHARACTER})`,
  };
}

/** The id-mode page, or undefined when no job's id starts with `q` (search by text then). */
async function searchById(
  db: Kysely<HistorySchema>,
  filter: JobListFilter & { readonly q: string },
  page: PageRequest,
): Promise<KeysetPage<JobSummaryRow> | undefined> {
  const { q } = filter;
  if (!isValidJobId(q)) return undefined;
  const { id, startsWith } = bytewiseId(db);
  // Ordered by the index, so the probe reads at most one entry of it however many ids match.
  const hit = await db
    .selectFrom("jobs")
    .select("id")
    .where(startsWith(q))
    .orderBy(id)
    .limit(1)
    .executeTakeFirst();
  if (hit === undefined) return undefined;
  const { limit, cursor } = page;
  const direction = queryOrder(cursor);
  // The page's cursor is the list's (created_at, id); this mode pages by the id alone.
  const after = cursor?.key[1];
  const rows = await db
    .selectFrom("jobs")
    .select(SUMMARY_COLUMNS)
    .where((eb) => {
      const conditions = filterConditions(eb, filter);
      conditions.push(startsWith(q));
      if (after !== undefined) {
        conditions.push(
          direction === "desc" ? sql<SqlBool>`${id} < ${after}` : sql<SqlBool>`${id} > ${after}`,
        );
      }
      return eb.and(conditions);
    })
    .orderBy(id, direction)
    .limit(limit + 1)
    .execute();
  return toPage(rows, { limit, cursor, keyOf: jobKeyOf });
}

function matches(q: string) {
  const literal = likeLiteral(q);
  return sql<SqlBool>`lower(${sql.ref("error_message")}) like ${`%${literal.toLowerCase()}%`} escape '\\'`;
}

/** One page of a search (filter.q set), newest first; see the module comment for the modes. */
export async function searchJobs(
  db: Kysely<HistorySchema>,
  filter: JobListFilter & { readonly q: string },
  page: PageRequest,
  scanRows: number = SEARCH_SCAN_ROWS,
): Promise<KeysetPage<JobSummaryRow>> {
  return (await searchById(db, filter, page)) ?? searchByText(db, filter, page, scanRows);
}

async function searchByText(
  db: Kysely<HistorySchema>,
  filter: JobListFilter & { readonly q: string },
  page: PageRequest,
  scanRows: number,
): Promise<KeysetPage<JobSummaryRow>> {
  const { limit, cursor } = page;
  const direction = queryOrder(cursor);
  // The candidates: the jobs the other filters select, past the cursor, at most scanRows of them.
  const candidates = () =>
    db
      .selectFrom("jobs")
      .where((eb) => {
        const conditions = filterConditions(eb, filter);
        if (cursor) conditions.push(keysetCondition(LIST_KEY, cursor));
        return eb.and(conditions);
      })
      .orderBy("created_at", direction)
      .orderBy("id", direction);
  const rows = await db
    .selectFrom(candidates().select(SUMMARY_COLUMNS).limit(scanRows).as("candidates"))
    .selectAll()
    .where(matches(filter.q))
    .orderBy("created_at", direction)
    .orderBy("id", direction)
    .limit(limit + 1)
    .execute();
  const result = toPage(rows, { limit, cursor, keyOf: jobKeyOf });
  if (rows.length > limit) return result;

  // Fewer matches than a page: either the candidates ran out (the list ends here) or the scan
  // stopped at its bound, and the search carries on past the last candidate examined (unless
  // that was the list's last row).
  const [frontier, beyond] = await candidates()
    .select(["created_at", "id"])
    .offset(scanRows - 1)
    .limit(2)
    .execute();
  const backward = cursor?.direction === "before";
  const onward =
    frontier && beyond
      ? encodeCursor({ key: jobKeyOf(frontier), direction: backward ? "before" : "after" })
      : null;
  // Back the way we came: from the page's edge or, on an empty page, from the first candidate
  // past the cursor (so the row the cursor names is on the page we go back to).
  let returnFrom: Pick<JobSummaryRow, "created_at" | "id"> | undefined = backward
    ? result.items.at(-1)
    : result.items[0];
  let returning: string | null = null;
  if (cursor !== undefined) {
    returnFrom ??= await candidates().select(["created_at", "id"]).limit(1).executeTakeFirst();
    returning = encodeCursor({
      key: returnFrom ? jobKeyOf(returnFrom) : cursor.key,
      direction: backward ? "after" : "before",
    });
  }
  return {
    items: result.items,
    nextCursor: backward ? returning : onward,
    prevCursor: backward ? onward : returning,
  };
}
