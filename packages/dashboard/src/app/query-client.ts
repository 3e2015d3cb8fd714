/**
 * Query defaults. Live data comes from the event stream; what is fetched stays fresh for a while
 * and is refetched when the stream says it may have missed something (live/live-cache-sync.ts),
 * so focus refetches and frequent polling are off. Mutations report their own outcome (one toast
 * per action, never a second global one).
 */
import { QueryClient } from "@tanstack/react-query";
import { ApiRequestError } from "../api/api-error.js";

const STALE_MS = 30_000;
const GC_MS = 5 * 60_000;
const MAX_RETRIES = 2;

function shouldRetry(failures: number, error: unknown): boolean {
  // A 4xx will not get better by asking again; 5xx and network errors may.
  if (error instanceof ApiRequestError && error.status >= 400 && error.status < 500 && error.status !== 429) {
    return false;
  }
  return failures < MAX_RETRIES;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: STALE_MS,
        gcTime: GC_MS,
        retry: shouldRetry,
        refetchOnWindowFocus: false,
        refetchIntervalInBackground: false,
      },
      mutations: { retry: false },
    },
  });
}
