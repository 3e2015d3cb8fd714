/**
 * Free-text search of the jobs list (`q`): an id (exact or prefix) or a substring of the error
 * message, case-insensitive, with LIKE wildcards taken literally. No index serves a substring,
 * so each request examines at most SEARCH_SCAN_ROWS jobs (those matching the other filters,
 * newest first from the cursor): a rare term never reads the whole history in one request. A
 * page that stopped at that bound may hold fewer than `limit` jobs, even none, and still has a
 * `next` cursor that carries on from where the scan stopped.
 */
import { type Kysely, type SqlBool, sql } from "kysely";
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

function matches(q: string) {
  const literal = likeLiteral(q);
  const id = sql.ref("id");
  return sql<SqlBool>`(${id} = ${q} or ${id} like ${`${literal}%`} escape '\\' or lower(${sql.ref("error_message")}) like ${`%${literal.toLowerCase()}%`} escape '\\')`;
}

/** One page of a search (filter.q set), newest first; see the module comment for the bound. */
export async function searchJobs(
  db: Kysely<HistorySchema>,
  filter: JobListFilter & { readonly q: string },
  page: PageRequest,
  scanRows: number = SEARCH_SCAN_ROWS,
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
