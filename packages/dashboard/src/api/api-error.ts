/**
 * Errors of the REST API as the dashboard sees them: the server's envelope
 * `{error: {code, message, details?, requestId}}` parsed once, so every panel can show the
 * server's own sentence (and the request id to quote) instead of a raw body.
 */
import type { ApiErrorEnvelope } from "@upnext/core";

export class ApiRequestError extends Error {
  override readonly name = "ApiRequestError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The fetch itself failed: no answer (server down, offline, aborted by the timeout). */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
}

/**
 * The server's envelope (core's ApiErrorEnvelope), read leniently: an older or newer server may
 * send a code this build does not know, or (behind a proxy) no request id.
 */
interface Envelope {
  error: Pick<ApiErrorEnvelope["error"], "message" | "details"> & { code: string; requestId?: string };
}

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = value.error;
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    typeof (error as { message?: unknown }).message === "string"
  );
}

/** Builds the error for a non-2xx response from its body (JSON envelope or anything else). */
export function errorFromResponse(
  status: number,
  statusText: string,
  body: string,
  requestId?: string | null,
) {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isEnvelope(parsed)) {
      const { code, message, details } = parsed.error;
      return new ApiRequestError(
        status,
        code,
        message,
        parsed.error.requestId ?? requestId ?? undefined,
        details,
      );
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): fall through to a generic error.
  }
  const text = body.trim().slice(0, 200);
  return new ApiRequestError(
    status,
    "http_error",
    text === "" ? `${status} ${statusText}` : `${status} ${statusText}: ${text}`,
    requestId ?? undefined,
  );
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiRequestError && error.status === 404;
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiRequestError && error.status === 401;
}
