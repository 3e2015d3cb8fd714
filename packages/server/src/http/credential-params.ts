/**
 * The query parameters that carry a credential (the live streams' `?token=` and `?ticket=`,
 * http/auth.ts): removed from every URL the server logs or hands back in a link.
 */
export const CREDENTIAL_PARAMS = ["token", "ticket"] as const;

/** `url` (a path with its query) without any credential parameter. */
export function withoutCredentials(url: string): string {
  const mark = url.indexOf("?");
  if (mark === -1) return url;
  const params = new URLSearchParams(url.slice(mark + 1));
  if (!CREDENTIAL_PARAMS.some((name) => params.has(name))) return url;
  for (const name of CREDENTIAL_PARAMS) params.delete(name);
  const query = params.toString();
  return query === "" ? url.slice(0, mark) : `${url.slice(0, mark)}?${query}`;
}
