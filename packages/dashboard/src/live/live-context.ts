import { createContext, useContext } from "react";
import type { LiveCacheSync } from "./live-cache-sync.js";
import type { StreamState } from "./sse-connection.js";

export interface LiveStatus {
  readonly state: StreamState;
  /** The server said it lost its Redis source (`event: error`) and has not said `ready` since. */
  readonly degraded: boolean;
}

export interface LiveContextValue {
  readonly status: LiveStatus;
  readonly sync: LiveCacheSync | undefined;
}

export const LiveContext = createContext<LiveContextValue>({
  status: { state: "idle", degraded: false },
  sync: undefined,
});

export function useLive(): LiveContextValue {
  return useContext(LiveContext);
}

/** Polling is only a safety net: slow while the stream is healthy, faster while it is not. */
export const SAFETY_NET_HEALTHY_MS = 60_000;
export const SAFETY_NET_DEGRADED_MS = 10_000;

export function safetyNetInterval(status: LiveStatus): number {
  return status.state === "open" && !status.degraded ? SAFETY_NET_HEALTHY_MS : SAFETY_NET_DEGRADED_MS;
}

export function useSafetyNetInterval(): number {
  return safetyNetInterval(useLive().status);
}
