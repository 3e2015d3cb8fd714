/**
 * Shapes every REST list and time of the server's API shares: ISO-8601 UTC times and keyset
 * pages with ready-made `next`/`prev` links.
 */
import { z } from "zod";

/** Every time the API emits: ISO-8601 in UTC with a `Z`, millisecond precision. */
export const isoTimeSchema = z.iso.datetime().describe("ISO-8601 UTC time, e.g. 2026-01-31T12:00:00.000Z");

export const pageInfoSchema = z.object({
  limit: z.number().int(),
  nextCursor: z.string().nullable(),
  prevCursor: z.string().nullable(),
  /** The URL of the next page (same filters), or null on the last page. */
  next: z.string().nullable(),
  /** The URL of the previous page, or null on the first one. */
  prev: z.string().nullable(),
});

export type PageInfo = z.infer<typeof pageInfoSchema>;

/** A page of `item`s in list order, with its cursors and links. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), page: pageInfoSchema });
}

/** A time window the figures cover: `from` inclusive, `to` exclusive. */
export const timeWindowSchema = z.object({ from: isoTimeSchema, to: isoTimeSchema });
export type TimeWindow = z.infer<typeof timeWindowSchema>;

/**
 * Where a dashboard panel row points: the jobs-list (or other list) filter that shows the rows
 * behind it, as query parameters and as a ready-made API path.
 */
export const listLinkSchema = z.object({
  filter: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  href: z.string(),
});
export type ListLink = z.infer<typeof listLinkSchema>;
