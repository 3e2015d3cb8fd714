/**
 * How artifact content is served. Artifacts are written by jobs, i.e. by anyone who can submit
 * work, and served from the dashboard's origin: only types a browser cannot run as a page are
 * shown inline, everything else is a download, and the browser is told not to guess types.
 */
import type { ByteRange } from "./artifact-storage.js";

/** Shown inline in a browser; never HTML, SVG, XML or anything else that can carry script. */
export const INLINE_MEDIA_TYPES: ReadonlySet<string> = new Set([
  "text/plain",
  "application/json",
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
]);

/** Sent with every content response: no script, no plugins, no framing, even if a type slips through. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox";
/** Content under an id never changes, but a delete must be noticed: revalidate with the ETag. */
export const CONTENT_CACHE_CONTROL = "private, no-cache";

export function mediaTypeOf(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

export function servesInline(contentType: string): boolean {
  return INLINE_MEDIA_TYPES.has(mediaTypeOf(contentType));
}

/** A `Content-Disposition` with an ASCII fallback and the exact UTF-8 name (RFC 6266 / 8187). */
export function contentDisposition(name: string, inline: boolean): string {
  const fallback = name.replace(/[^A-Za-z0-9._ -]/g, "_");
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${inline ? "inline" : "attachment"}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export function etagOf(sha256: string): string {
  return `"${sha256}"`;
}

/** Whether an If-None-Match (or If-Range) header names this ETag; weak tags compare equal here. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

export type RangeResult =
  | { readonly kind: "full" }
  | { readonly kind: "partial"; readonly range: ByteRange }
  | { readonly kind: "unsatisfiable" };

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * A single-range `Range: bytes=...` header against an object of `size` bytes (RFC 9110 §14).
 * Anything this server does not serve as a range (several ranges, another unit, nonsense) is
 * answered with the whole object, which the RFC allows.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: "full" };
  const match = SINGLE_RANGE.exec(header.trim());
  if (!match) return { kind: "full" };
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return { kind: "full" };
  if (first === "") {
    const suffix = Number(last);
    if (!Number.isSafeInteger(suffix) || suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (!Number.isSafeInteger(start) || !Number.isFinite(end)) return { kind: "full" };
  if (last !== "" && Number(last) < start) return { kind: "full" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", range: { start, end } };
}
