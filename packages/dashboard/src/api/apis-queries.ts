/**
 * The HTTP APIs' queries (docs/http-apis.md): the APIs with their instances and routes, one
 * route's trends, and the recent slow and failed requests. Figures are polled (the server has no
 * snapshot stream for them); the sampled requests arrive live (live/use-api-request-stream.ts).
 */
import { useSuspenseQuery } from "@tanstack/react-query";
import type { ApiList, ApiRequestList, ApiRouteDetail } from "@upnext/core";
import { type RequestOptions, apiGet } from "./http.js";
import { queryKeys } from "./query-keys.js";

/** The window of the APIs page's figures; the overview tiles use the last hour. */
export const API_LIST_HOURS = 24;
export const API_REQUESTS_LIMIT = 50;
/** Per-minute figures change every minute; a tracker reports about that often. */
const API_REFRESH_MS = 30_000;

export const apisApi = {
  list: (hours: number, options?: RequestOptions) => apiGet<ApiList>("/apis", { hours }, options),
  route: (api: string, method: string, route: string, options?: RequestOptions) =>
    apiGet<ApiRouteDetail>(`/apis/${encodeURIComponent(api)}/route`, { method, route, hours: 24 }, options),
  requests: (api: string | null, options?: RequestOptions) =>
    apiGet<ApiRequestList>(
      "/apis/requests",
      { ...(api === null ? {} : { api }), limit: API_REQUESTS_LIMIT },
      options,
    ),
};

export function useApis(hours = API_LIST_HOURS) {
  return useSuspenseQuery({
    queryKey: queryKeys.apis.list(hours),
    queryFn: ({ signal }) => apisApi.list(hours, { signal }),
    refetchInterval: API_REFRESH_MS,
  });
}

export function useApiRoute(api: string, method: string, route: string) {
  return useSuspenseQuery({
    queryKey: queryKeys.apis.route(api, method, route),
    queryFn: ({ signal }) => apisApi.route(api, method, route, { signal }),
    refetchInterval: API_REFRESH_MS,
  });
}

export function useApiRequests(api: string | null) {
  return useSuspenseQuery({
    queryKey: queryKeys.apis.requests(api),
    queryFn: ({ signal }) => apisApi.requests(api, { signal }),
  });
}
