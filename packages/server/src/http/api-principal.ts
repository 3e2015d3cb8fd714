/**
 * Who a request was authenticated as: the token's name and scope. A file of its own because both
 * auth.ts (which sets it) and stream-tickets.ts (which signs it into a ticket) need it, and
 * neither may import the other (no import cycles, docs/architecture.md).
 */
import type { ApiScope } from "@upnext/core";

export interface ApiPrincipal {
  readonly name: string;
  readonly scope: ApiScope;
}
