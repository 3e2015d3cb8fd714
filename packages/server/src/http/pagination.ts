/**
 * Keyset (cursor) pagination for every list: a page is "the rows after (or before) this key" in
 * the list's order, so the 10,000th page costs what the first does. Cursors are opaque to
 * clients; each page carries ready-made `next` and `prev` links.
 */
import type { FastifyRequest } from "fastify";
import { type Expression, type SqlBool, sql } from "kysely";
import type { PageInfo } from "@upnext/core";
import { z } from "zod";
import { badRequest } from "./api-error.js";
import { CREDENTIAL_PARAMS } from "./credential-params.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
const MAX_CURSOR_LENGTH = 1_024;

export type CursorKey = readonly (string | number)[];
/** `after`: the rows that follow the key in list order (the next page); `before`: the previous page. */
export type PageDirection = "after" | "before";

export interface Cursor {
  readonly key: CursorKey;
  readonly direction: PageDirection;
}

export const pageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .describe(`Rows per page, 1-${MAX_PAGE_SIZE}.`),
  cursor: z
    .string()
    .max(MAX_CURSOR_LENGTH)
    .optional()
    .describe("The `nextCursor` or `prevCursor` of a page."),
});

// The page shape is part of the REST contract the dashboard imports from @upnext/core.
export { pageInfoSchema, type PageInfo } from "@upnext/core";

/** The order a list is shown in: newest first (most lists) or oldest first (timelines, events). */
export type ListOrder = "desc" | "asc";

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.direction === "after" ? "a" : "b", ...cursor.key])).toString(
    "base64url",
  );
}

export function decodeCursor(value: string, arity: number): Cursor {
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
  if (!valid) {
    throw badRequest(
      "The cursor is not valid: pass a `nextCursor` or `prevCursor` exactly as a page returned it.",
      {
        cursor: value,
      },
    );
  }
  const [direction, ...key] = parsed as [string, ...(string | number)[]];
  return { direction: direction === "a" ? "after" : "before", key };
}

/**
 * A cursor whose key parts have the given types (a number where the list orders by a time), so
 * a forged cursor is a 400 rather than a type error in the database.
 */
export function decodeTypedCursor(value: string, types: readonly ("string" | "number")[]): Cursor {
  const cursor = decodeCursor(value, types.length);
  const valid = cursor.key.every((part, index) =>
    types[index] === "number" ? Number.isSafeInteger(part) : typeof part === "string",
  );
  if (!valid) {
    throw badRequest(
      "The cursor is not valid for this list: pass a `nextCursor` or `prevCursor` of this list.",
      {
        cursor: value,
      },
    );
  }
  return cursor;
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

/** The page info of a response: the cursors and links to the same URL with the cursor replaced. */
export function pageInfo(
  request: FastifyRequest,
  limit: number,
  cursors: { nextCursor: string | null; prevCursor: string | null },
): PageInfo {
  const link = (cursor: string | null): string | null => {
    if (cursor === null) return null;
    const url = new URL(request.url, "http://placeholder");
    // A credential sent in the query (a mistake outside the live streams) is never echoed.
    for (const name of CREDENTIAL_PARAMS) url.searchParams.delete(name);
    url.searchParams.set("cursor", cursor);
    url.searchParams.set("limit", String(limit));
    return `${url.pathname}${url.search}`;
  };
  return {
    limit,
    nextCursor: cursors.nextCursor,
    prevCursor: cursors.prevCursor,
    next: link(cursors.nextCursor),
    prev: link(cursors.prevCursor),
  };
}
