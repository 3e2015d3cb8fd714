/**
 * Errors a route raises on purpose, and the one handler that turns every error (ours, Fastify's,
 * validation, a dependency that is down) into the envelope of @upnext/core's api-errors.
 */
import type { ApiErrorCode, ApiErrorEnvelope } from "@upnext/core";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { DependencyUnavailableError } from "../connections/circuit-breaker.js";

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
