/**
 * Keyset pages over a small list already held in memory and sorted by a string key (function
 * names from the registry set, worker ids from the workers index), with the same opaque cursors
 * and links as the SQL lists. Only the page's items are then looked up in detail.
 */
import { decodeTypedCursor } from "./pagination.js";
import { type Cursor, toPage } from "../store/keyset.js";

export interface MemoryPage<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
  readonly prevCursor: string | null;
}

export function decodeNameCursor(value: string | undefined): Cursor | undefined {
  return value === undefined ? undefined : decodeTypedCursor(value, ["string"]);
}

/** The page after (or before) the cursor in ascending key order. */
export function pageInMemory<T>(
  sorted: readonly T[],
  keyOf: (item: T) => string,
  limit: number,
  cursor: Cursor | undefined,
): MemoryPage<T> {
  const key = cursor?.key[0];
  let rows: T[];
  if (cursor === undefined || typeof key !== "string") rows = sorted.slice(0, limit + 1);
  else if (cursor.direction === "after")
    rows = sorted.filter((item) => keyOf(item) > key).slice(0, limit + 1);
  // The previous page is queried in the opposite order, as the SQL lists do; toPage reverses it.
  else
    rows = sorted
      .filter((item) => keyOf(item) < key)
      .reverse()
      .slice(0, limit + 1);
  return toPage(rows, { limit, cursor, keyOf: (item) => [keyOf(item)] });
}
