/**
 * The one way the dashboard calls the REST API: JSON in and out, the bearer token, a timeout
 * that is combined with (never replaces) the caller's abort signal, and errors as typed
 * ApiRequestError / NetworkError.
 */
import { ApiRequestError, NetworkError, errorFromResponse } from "./api-error.js";
import { authHeaders, markTokenRejected } from "./auth-token.js";

export const API_BASE = "/api/v1";

/** Long enough for a cold history query, short enough that a hung server is reported. */
export const REQUEST_TIMEOUT_MS = 15_000;

export type QueryValue = string | number | boolean | readonly string[] | null | undefined;
export type QueryParams = Readonly<Record<string, QueryValue>>;

/** `?a=1&status=x&status=y`, skipping empty values; keys keep their order. */
export function toQueryString(params: QueryParams | undefined): string {
  if (params === undefined) return "";
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      for (const item of value as readonly string[]) search.append(key, item);
    } else {
      search.append(key, String(value));
    }
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

/**
 * Where the API is: the page's own origin (the server serves the dashboard), so paths stay
 * relative; tests outside a browser point it at the server they started.
 */
let apiOrigin = "";

export function setApiOrigin(origin: string): void {
  apiOrigin = origin.replace(/\/$/, "");
}

export function apiUrl(path: string, params?: QueryParams): string {
  return `${apiOrigin}${API_BASE}${path}${toQueryString(params)}`;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

function withTimeout(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}

export async function request(
  method: string,
  url: string,
  body: unknown,
  options: RequestOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json", ...authHeaders() };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: withTimeout(options.signal, options.timeoutMs ?? REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    if (options.signal?.aborted === true) throw error;
    throw new NetworkError(error instanceof Error ? error.message : String(error));
  }
  if (!response.ok) {
    if (response.status === 401) markTokenRejected();
    const text = await response.text().catch(() => "");
    throw errorFromResponse(response.status, response.statusText, text, response.headers.get("x-request-id"));
  }
  return response;
}

async function json<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  if (text === "") return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiRequestError(
      response.status,
      "invalid_response",
      "The server sent a response that is not JSON.",
    );
  }
}

export async function apiGet<T>(path: string, params?: QueryParams, options?: RequestOptions): Promise<T> {
  return json<T>(await request("GET", apiUrl(path, params), undefined, options));
}

export async function apiSend<T>(
  method: "POST" | "PUT" | "DELETE" | "PATCH",
  path: string,
  body?: unknown,
  params?: QueryParams,
  options?: RequestOptions,
): Promise<T> {
  return json<T>(await request(method, apiUrl(path, params), body, options));
}
