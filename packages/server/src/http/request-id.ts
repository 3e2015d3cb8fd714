/**
 * Request correlation ids: a caller's `x-request-id` when it is sane, else the trace id of a
 * valid W3C `traceparent`, else a new one. Fastify puts it on every log line of the request;
 * the response echoes it.
 */
import type { IncomingMessage } from "node:http";
import { randomUUID } from "node:crypto";

export const REQUEST_ID_HEADER = "x-request-id";

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;
const INVALID_TRACE_ID = "0".repeat(32);

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function requestIdOf(request: IncomingMessage): string {
  const given = header(request, REQUEST_ID_HEADER)?.trim();
  if (given !== undefined && SAFE_REQUEST_ID.test(given)) return given;
  const traceId = TRACEPARENT.exec(header(request, "traceparent")?.trim().toLowerCase() ?? "")?.[1];
  if (traceId !== undefined && traceId !== INVALID_TRACE_ID) return traceId;
  return randomUUID();
}
