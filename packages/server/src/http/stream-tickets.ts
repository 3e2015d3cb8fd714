/**
 * Short-lived tickets for the live streams, so a browser's EventSource (which cannot send an
 * Authorization header) need not put the token itself in a URL, where proxies and histories keep
 * it. A ticket names its token and an expiry and is signed with that token (HMAC-SHA256): any
 * replica configured with the same tokens verifies it without shared state, it carries the
 * token's scope, and it stops working when its token is removed from the configuration.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { NamedApiToken } from "@upnext/core";
import type { ApiPrincipal } from "./api-principal.js";

/** How long a ticket opens streams: long enough to open one, short enough not to matter in a log. */
export const STREAM_TICKET_TTL_MS = 60_000;

function signature(payload: string, token: string): Buffer {
  return createHmac("sha256", token).update(payload).digest();
}

export interface StreamTicket {
  readonly ticket: string;
  readonly expiresAt: number;
}

export function issueStreamTicket(credential: NamedApiToken, now: number = Date.now()): StreamTicket {
  const expiresAt = now + STREAM_TICKET_TTL_MS;
  const payload = `${credential.name}.${String(expiresAt)}.${randomBytes(9).toString("base64url")}`;
  return {
    ticket: `${payload}.${signature(payload, credential.token).toString("base64url")}`,
    expiresAt,
  };
}

/** The ticket's token, or undefined when it is malformed, forged, expired or its token is gone. */
export function verifyStreamTicket(
  ticket: string,
  credentials: readonly NamedApiToken[],
  now: number = Date.now(),
): ApiPrincipal | undefined {
  const parts = ticket.split(".");
  if (parts.length < 4) return undefined;
  const [given = "", nonce = "", expiry = "", ...nameParts] = [...parts].reverse();
  // Names may hold dots: everything before the last three parts is the name.
  const name = nameParts.reverse().join(".");
  const expiresAt = Number(expiry);
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) return undefined;
  const credential = credentials.find((candidate) => candidate.name === name);
  if (credential === undefined) return undefined;
  const expected = signature(`${name}.${expiry}.${nonce}`, credential.token);
  const actual = Buffer.from(given, "base64url");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  return { name: credential.name, scope: credential.scope };
}
