/**
 * While the APIs page is open, the live stream of sampled requests (`event: request`, data the
 * `api.request` status event of docs/status-events.md) puts each new slow or failed request at
 * the top of the recent-requests list. The stream is live only, so each time it opens the list is
 * fetched again, filling what was stored before it opened or while it was down.
 */
import { useQueryClient } from "@tanstack/react-query";
import type { ApiRequest, ApiRequestEvent, ApiRequestList } from "@upnext/core";
import { useEffect } from "react";
import { API_REQUESTS_LIMIT } from "../api/apis-queries.js";
import { authHeaders } from "../api/auth-token.js";
import { apiUrl } from "../api/http.js";
import { queryKeys } from "../api/query-keys.js";
import { SseConnection } from "./sse-connection.js";

/** The stream's event as the REST list shows it; its id is the stored row's id. */
export function requestFromEvent(id: string, event: ApiRequestEvent): ApiRequest {
  return {
    id,
    api: event.api,
    instanceId: event.instanceId,
    method: event.data.method,
    route: event.data.route,
    status: event.data.status,
    durationMs: event.data.durationMs,
    requestId: event.data.requestId,
    traceId: event.data.traceId,
    reason: event.data.reason,
    at: new Date(event.at).toISOString(),
  };
}

/** Newest first, each id once, at most the list's limit. */
export function prependRequest(list: ApiRequestList | undefined, request: ApiRequest): ApiRequestList {
  const rest = (list?.items ?? []).filter((item) => item.id !== request.id);
  return { items: [request, ...rest].slice(0, API_REQUESTS_LIMIT) };
}

export function useApiRequestStream(api: string | null): void {
  const client = useQueryClient();
  useEffect(() => {
    const key = queryKeys.apis.requests(api);
    const connection = new SseConnection({
      url: () => apiUrl("/apis/stream", api === null ? undefined : { api }),
      headers: authHeaders,
      onOpen: () => {
        void client.invalidateQueries({ queryKey: key });
      },
      onMessage: (message) => {
        if (message.event !== "request") return;
        try {
          const request = requestFromEvent(message.lastEventId, JSON.parse(message.data) as ApiRequestEvent);
          client.setQueryData<ApiRequestList>(key, (previous) => prependRequest(previous, request));
        } catch {
          // A malformed frame is skipped; the list is refetched on the next reconnect.
        }
      },
    });
    connection.start();
    return () => {
      connection.stop();
    };
  }, [client, api]);
}
