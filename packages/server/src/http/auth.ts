/**
 * Who a request to /api/v1 is, and whether it may do what it asks, when the server has tokens
 * (UPNEXT_API_TOKEN, an admin token named `default`, and the named tokens of UPNEXT_API_TOKENS):
 *
 * - A token comes in the Authorization header. Only routes that declare `queryCredentials` (the
 *   live streams, which an EventSource opens without headers) also take one in the query: a
 *   short-lived `?ticket=` (stream-tickets.ts) or the `?token=` itself.
 * - The scope check is one rule by route kind (docs/server.md, "Tokens and scopes"): a route
 *   declares `access` in its config; without it, GET and HEAD are `read` and every other method
 *   `admin`. A route added later is covered by declaring itself (or by its method).
 *
 * Also the rule that a server reachable from other hosts must have a token.
 */
import { timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { ApiScope, Config, NamedApiToken } from "@upnext/core";
import type { FastifyRequest } from "fastify";
import { ApiError } from "./api-error.js";
import type { ApiPrincipal } from "./api-principal.js";
import { verifyStreamTicket } from "./stream-tickets.js";

export const API_PREFIX = "/api/v1";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The scope a route needs; default `read` for GET/HEAD, `admin` for the rest. */
    access?: ApiScope;
    /** Accept `?ticket=` or `?token=` (for clients that cannot send headers: EventSource). */
    queryCredentials?: boolean;
  }
  interface FastifyRequest {
    /** The token the request was authenticated with (undefined when the server has none). */
    principal?: ApiPrincipal;
  }
}

/** Every token the server accepts: UPNEXT_API_TOKEN (admin, `default`) and UPNEXT_API_TOKENS. */
export function apiCredentials(config: Pick<Config, "apiToken" | "apiTokens">): readonly NamedApiToken[] {
  return [
    ...(config.apiToken === "" ? [] : [{ name: "default", scope: "admin" as const, token: config.apiToken }]),
    ...config.apiTokens,
  ];
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  return isIP(bare) === 4 && bare.startsWith("127.");
}

/** Throws when the server would listen beyond this machine without a token. */
export function assertSafeListenAddress(host: string, credentials: readonly NamedApiToken[]): void {
  if (credentials.length === 0 && !isLoopbackHost(host)) {
    throw new Error(
      `Refusing to listen on ${host} without UPNEXT_API_TOKEN: anyone who can reach it could read and cancel jobs. ` +
        "Set UPNEXT_API_TOKEN or UPNEXT_API_TOKENS (clients send a token as 'Authorization: Bearer <token>'), or listen on 127.0.0.1.",
    );
  }
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function queryParam(request: FastifyRequest, name: string): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const value = query?.[name];
  return typeof value === "string" ? value : undefined;
}

function unauthorized(message: string): ApiError {
  return new ApiError(401, "unauthorized", message, undefined, {
    "www-authenticate": 'Bearer realm="upnext"',
  });
}

/** The bearer token of the Authorization header, if it has one. */
export function headerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(header)?.[1];
}

function principalOf(credential: NamedApiToken): ApiPrincipal {
  return { name: credential.name, scope: credential.scope };
}

/** The scope a request's route needs (see the module comment). */
export function requiredScope(request: FastifyRequest): ApiScope {
  const declared = request.routeOptions.config.access;
  if (declared !== undefined) return declared;
  return request.method === "GET" || request.method === "HEAD" ? "read" : "admin";
}

/**
 * Sets `request.principal`, or throws 401 (no or a wrong credential) or 403 (a read token on an
 * admin route). Outside /api/v1, and on a server without tokens, every request passes.
 */
export function authenticate(
  request: FastifyRequest,
  credentials: readonly NamedApiToken[],
  now: number = Date.now(),
): void {
  if (credentials.length === 0 || !request.url.startsWith(API_PREFIX)) return;
  const inQuery = request.routeOptions.config.queryCredentials === true;
  const bearer = headerToken(request);
  let principal: ApiPrincipal | undefined;
  if (bearer !== undefined) {
    const match = credentials.find((credential) => sameToken(bearer, credential.token));
    if (match === undefined) throw unauthorized("The bearer token is not valid for this server.");
    principal = principalOf(match);
  } else if (inQuery && queryParam(request, "ticket") !== undefined) {
    principal = verifyStreamTicket(queryParam(request, "ticket") ?? "", credentials, now);
    if (principal === undefined) {
      throw unauthorized(
        "The stream ticket is not valid or has expired: get a new one from POST /api/v1/stream-tickets.",
      );
    }
  } else if (inQuery && queryParam(request, "token") !== undefined) {
    const given = queryParam(request, "token") ?? "";
    const match = credentials.find((credential) => sameToken(given, credential.token));
    if (match === undefined) throw unauthorized("The token is not valid for this server.");
    principal = principalOf(match);
  } else {
    throw unauthorized(
      inQuery
        ? "This stream needs a credential: send 'Authorization: Bearer <token>', or ?ticket= from POST /api/v1/stream-tickets."
        : "This API needs a bearer token: send 'Authorization: Bearer <token>' (a token in the query is accepted only by live streams).",
    );
  }
  request.principal = principal;
  if (requiredScope(request) === "admin" && principal.scope !== "admin") {
    throw new ApiError(
      403,
      "forbidden",
      `The token "${principal.name}" has the read scope; ${request.method} ${request.routeOptions.url ?? "this route"} needs a token with the admin scope.`,
      { token: principal.name, scope: principal.scope, needs: "admin" },
    );
  }
}
