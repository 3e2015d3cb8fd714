/**
 * Paging as HTTP sees it: the `limit` and `cursor` query parameters, a malformed cursor answered
 * as 400, and each page's ready-made `next` and `prev` links. The keyset SQL and the cursor
 * format are store/keyset.ts.
 */
import type { FastifyRequest } from "fastify";
import type { PageInfo } from "@upnext/core";
import { z } from "zod";
import { parseCursor, type Cursor } from "../store/keyset.js";
import { badRequest } from "./api-error.js";
import { CREDENTIAL_PARAMS } from "./credential-params.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
const MAX_CURSOR_LENGTH = 1_024;

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

export function decodeCursor(value: string, arity: number): Cursor {
  const cursor = parseCursor(value, arity);
  if (cursor === undefined) {
    throw badRequest(
      "The cursor is not valid: pass a `nextCursor` or `prevCursor` exactly as a page returned it.",
      {
        cursor: value,
      },
    );
  }
  return cursor;
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
