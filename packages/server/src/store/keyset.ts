/**
 * Keyset (cursor) pages in SQL: a page is "the rows after (or before) this key" in the list's
 * order, so the 10,000th page costs what the first does. The cursor is the key of a page's
 * first or last row, encoded opaquely; http/pagination.ts reads it from a request and builds
 * the page links.
 */
import { type Expression, type SqlBool, sql } from "kysely";

export type CursorKey = readonly (string | number)[];
/** `after`: the rows that follow the key in list order (the next page); `before`: the previous page. */
export type PageDirection = "after" | "before";

export interface Cursor {
  readonly key: CursorKey;
  readonly direction: PageDirection;
}

/** The order a list is shown in: newest first (most lists) or oldest first (timelines, events). */
export type ListOrder = "desc" | "asc";

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.direction === "after" ? "a" : "b", ...cursor.key])).toString(
    "base64url",
  );
}

/** The cursor `encodeCursor` made, or undefined when `value` is not one with `arity` key parts. */
export function parseCursor(value: string, arity: number): Cursor | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const valid =
    Array.isArray(parsed) &&
    parsed.length === arity + 1 &&
    (parsed[0] === "a" || parsed[0] === "b") &&
    parsed.slice(1).every((part) => typeof part === "string" || typeof part === "number");
  if (!valid) return undefined;
  const [direction, ...key] = parsed as [string, ...(string | number)[]];
  return { direction: direction === "a" ? "after" : "before", key };
}

/**
 * The WHERE clause that selects rows past the cursor, for a list ordered by `columns`
 * descending (newest first, the default) or ascending. Row-value comparison keeps it one index
 * range scan.
 */
export function keysetCondition(
  columns: readonly string[],
  cursor: Cursor,
  order: ListOrder = "desc",
): Expression<SqlBool> {
  const left = sql.join(columns.map((column) => sql.ref(column)));
  const right = sql.join(cursor.key.map((part) => sql`${part}`));
  return (cursor.direction === "after") === (order === "desc")
    ? sql<SqlBool>`(${left}) < (${right})`
    : sql<SqlBool>`(${left}) > (${right})`;
}

/**
 * The order to query in: the list's own order for the next page, the opposite (then reversed
 * by toPage) for the previous one.
 */
export function queryOrder(cursor: Cursor | undefined, order: ListOrder = "desc"): ListOrder {
  const opposite: ListOrder = order === "desc" ? "asc" : "desc";
  return cursor?.direction === "before" ? opposite : order;
}

/**
 * Turns the `limit + 1` rows a keyset query returned (in `queryOrder`) into a page in list
 * order, with cursors for the neighbouring pages.
 */
export function toPage<T>(
  rows: readonly T[],
  options: { limit: number; cursor: Cursor | undefined; keyOf: (row: T) => CursorKey },
): { items: T[]; nextCursor: string | null; prevCursor: string | null } {
  const { limit, cursor, keyOf } = options;
  const hasMore = rows.length > limit;
  const slice = rows.slice(0, limit);
  const items = cursor?.direction === "before" ? slice.reverse() : slice;
  const first = items[0];
  const last = items.at(-1);
  const hasNext = cursor?.direction === "before" ? true : hasMore;
  const hasPrev = cursor === undefined ? false : cursor.direction === "before" ? hasMore : true;
  return {
    items,
    nextCursor: hasNext && last !== undefined ? encodeCursor({ key: keyOf(last), direction: "after" }) : null,
    prevCursor:
      hasPrev && first !== undefined ? encodeCursor({ key: keyOf(first), direction: "before" }) : null,
  };
}
