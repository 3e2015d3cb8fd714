/**
 * Bearer-token authentication for /api/v1 (routes and streams) when UPNEXT_API_TOKEN is set, and
 * the rule that a server reachable from other hosts must have one.
 */
import { timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { FastifyRequest } from "fastify";
import { ApiError } from "./api-error.js";

export const API_PREFIX = "/api/v1";

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  return isIP(bare) === 4 && bare.startsWith("127.");
}

/** Throws when the server would listen beyond this machine without a token. */
export function assertSafeListenAddress(host: string, token: string): void {
  if (token === "" && !isLoopbackHost(host)) {
    throw new Error(
      `Refusing to listen on ${host} without UPNEXT_API_TOKEN: anyone who can reach it could read and cancel jobs. ` +
        "Set UPNEXT_API_TOKEN (clients send it as 'Authorization: Bearer <token>'), or listen on 127.0.0.1.",
    );
  }
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token a request carries: the Authorization header, or `?token=` (for EventSource, which sets no headers). */
export function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1];
  }
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.token === "string" ? query.token : undefined;
}

export function authenticate(request: FastifyRequest, token: string): void {
  if (token === "" || !request.url.startsWith(API_PREFIX)) return;
  const given = tokenOf(request);
  if (given === undefined || !sameToken(given, token)) {
    throw new ApiError(
      401,
      "unauthorized",
      given === undefined
        ? "This API needs a bearer token: send 'Authorization: Bearer <UPNEXT_API_TOKEN>'."
        : "The bearer token is not valid for this server.",
      undefined,
      { "www-authenticate": 'Bearer realm="upnext"' },
    );
  }
}
