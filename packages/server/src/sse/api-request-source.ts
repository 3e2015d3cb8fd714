/**
 * The live stream of sampled HTTP requests (slow and failed ones, docs/http-apis.md): the
 * `api.request` events the hub's status-stream reader sees, filtered by API and route. Live
 * only: a reconnect starts from what arrives next (the recent ones are a REST call away).
 */
import type { ApiRequestEvent } from "@upnext/core";
import type { SseConnection } from "./sse-connection.js";
import type { StatusEntry } from "./status-entries.js";
import type { StatusFeed } from "./status-feed.js";
import type { StreamSource } from "./stream-source.js";

type RequestEntry = Extract<StatusEntry, { kind: "request" }>;

/** Filters combine with AND. */
export interface ApiRequestFilter {
  readonly api?: string;
  readonly method?: string;
  readonly route?: string;
  readonly reason?: ApiRequestEvent["data"]["reason"];
}

export function matchesApiRequestFilter(filter: ApiRequestFilter, event: ApiRequestEvent): boolean {
  return (
    (filter.api === undefined || event.api === filter.api) &&
    (filter.method === undefined || event.data.method === filter.method) &&
    (filter.route === undefined || event.data.route === filter.route) &&
    (filter.reason === undefined || event.data.reason === filter.reason)
  );
}

export function apiRequestSource(feed: StatusFeed, filter: ApiRequestFilter): StreamSource {
  return {
    name: "api-requests",
    needsRedis: true,
    open: () => {
      let unsubscribe: (() => void) | undefined;
      return Promise.resolve({
        positionInHeartbeat: false,
        position: () => feed.position,
        start: (connection: SseConnection) => {
          unsubscribe = feed.onRequestEvent((entry: RequestEntry) => {
            if (matchesApiRequestFilter(filter, entry.event)) connection.write(entry.frame);
          });
        },
        stop: () => {
          unsubscribe?.();
          unsubscribe = undefined;
        },
      });
    },
  };
}
