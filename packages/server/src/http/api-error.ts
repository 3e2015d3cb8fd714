/**
 * Errors a route raises on purpose, and the one handler that turns every error (ours, Fastify's,
 * validation, a dependency that is down) into the envelope of @upnext/core's api-errors.
 */
import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { ApiErrorCode, ApiErrorEnvelope } from "@upnext/core";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { DependencyUnavailableError } from "../connections/circuit-breaker.js";

/** Longest path parameter the router accepts (ids and names are far shorter). */
export const MAX_PATH_PARAM_LENGTH = 512;

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function notFound(what: string, id: string): ApiError {
  return new ApiError(404, "not_found", `${what} ${JSON.stringify(id)} was not found.`);
}

export function badRequest(message: string, details?: unknown): ApiError {
  return new ApiError(400, "bad_request", message, details);
}

export function conflict(message: string, details?: unknown): ApiError {
  return new ApiError(409, "conflict", message, details);
}

export function envelope(
  request: FastifyRequest,
  code: ApiErrorCode,
  message: string,
  details?: unknown,
): ApiErrorEnvelope {
  return { error: { code, message, ...(details === undefined ? {} : { details }), requestId: request.id } };
}

interface Described {
  status: number;
  code: ApiErrorCode;
  message: string;
  details?: unknown;
  headers?: Readonly<Record<string, string>>;
}

function describeError(error: unknown, request: FastifyRequest): Described {
  if (error instanceof ApiError) {
    return {
      status: error.statusCode,
      code: error.code,
      message: error.message,
      details: error.details,
      headers: error.headers,
    };
  }
  if (error instanceof DependencyUnavailableError) {
    return {
      status: 503,
      code: "dependency_unavailable",
      message: error.message,
      details: { dependency: error.dependency },
      headers: { "retry-after": String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) },
    };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((issue) => ({
      in: error.validationContext ?? "request",
      path: issue.instancePath.replace(/^\//, "").replaceAll("/", ".") || "(root)",
      message: issue.message ?? "invalid",
    }));
    const summary = issues.map((issue) => `${issue.in} ${issue.path}: ${issue.message}`).join("; ");
    return {
      status: 400,
      code: "validation_failed",
      message: `Invalid request: ${summary}.`,
      details: { issues },
    };
  }
  const fastifyError = error as Partial<FastifyError>;
  const status = typeof fastifyError.statusCode === "number" ? fastifyError.statusCode : 500;
  // The router's own refusals (see frameworkErrors in app.ts), reworded to say what to change.
  if (fastifyError.code === "FST_ERR_BAD_URL") {
    return {
      status: 400,
      code: "bad_request",
      message:
        "The path is not valid percent-encoding (a '%' must be followed by two hex digits of UTF-8): encode path segments with encodeURIComponent.",
    };
  }
  if (fastifyError.code === "FST_ERR_MAX_PARAM_LENGTH") {
    return {
      status: 414,
      code: "bad_request",
      message: `A path parameter is longer than ${MAX_PATH_PARAM_LENGTH} characters: no id or name is that long.`,
    };
  }
  if (status === 413) {
    return {
      status,
      code: "payload_too_large",
      message: fastifyError.message ?? "The request body is too large.",
    };
  }
  if (status === 415) {
    return {
      status,
      code: "unsupported_media_type",
      message: fastifyError.message ?? "Unsupported content type.",
    };
  }
  if (status >= 400 && status < 500) {
    return { status, code: "bad_request", message: fastifyError.message ?? "Bad request." };
  }
  request.log.error({ err: error }, "unhandled error");
  return {
    status: 500,
    code: "internal_error",
    message: `Internal error; quote request id ${request.id} when reporting it.`,
  };
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const described = describeError(error, request);
  if (described.status >= 500 && described.code !== "internal_error") {
    request.log.warn({ code: described.code, err: error }, described.message);
  }
  for (const [name, value] of Object.entries(described.headers ?? {})) void reply.header(name, value);
  return reply
    .code(described.status)
    .type("application/json; charset=utf-8")
    .send(envelope(request, described.code, described.message, described.details));
}

/**
 * The answer to a request Node's HTTP parser refused before Fastify saw it (Fastify's
 * clientErrorHandler): headers or URL over Node's 16 KB limit (431), a malformed request (400), a
 * client too slow to send it (408). Still the envelope, with a request id of its own.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, message] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "The request's URL and headers are larger than 16 KB: send fewer or shorter query parameters."]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "The request was not received in time."]
        : [400, "The request is not valid HTTP."];
  const body = JSON.stringify({ error: { code: "bad_request", message, requestId: randomUUID() } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
