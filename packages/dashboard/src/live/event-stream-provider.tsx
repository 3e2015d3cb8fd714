/**
 * Opens the job event stream once for the whole app and feeds it to LiveCacheSync. Named server
 * events: `job` (a status event), `reset` (the server cannot replay what this client missed),
 * `error` (the server lost its Redis source) and `ready` (it is back). Every reopen after the
 * first, every `reset` and every `ready` resyncs the cache.
 */
import { useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useEffect, useMemo, useState } from "react";
import { authHeaders, subscribeToken } from "../api/auth-token.js";
import { apiUrl } from "../api/http.js";
import { decodeJobEvent } from "./job-event-decode.js";
import { LiveCacheSync } from "./live-cache-sync.js";
import { LiveContext, type LiveStatus } from "./live-context.js";
import { SseConnection } from "./sse-connection.js";

/** Every job event but `metric` (no page shows metrics), so a busy system sends less. */
export const JOB_EVENTS_PATH = "/jobs/stream";
const STREAMED_TYPES =
  "queued,scheduled,waiting,started,progress,checkpoint,log,retrying,completed,failed,cancelled,dead-lettered";

export function EventStreamProvider({ children }: { readonly children: ReactNode }) {
  const client = useQueryClient();
  const sync = useMemo(() => new LiveCacheSync(client), [client]);
  const [status, setStatus] = useState<LiveStatus>({ state: "idle", degraded: false });

  useEffect(() => {
    const connection = new SseConnection({
      url: () => apiUrl(JOB_EVENTS_PATH, { type: STREAMED_TYPES }),
      headers: authHeaders,
      onStateChange: (state) => {
        setStatus((previous) => ({ ...previous, state }));
      },
      onOpen: ({ reconnected }) => {
        if (reconnected) sync.resync();
      },
      onMessage: (message) => {
        switch (message.event) {
          case "job": {
            const event = decodeJobEvent(message.data);
            if (event !== undefined) sync.receive(message.lastEventId, event);
            break;
          }
          case "reset":
            sync.resync();
            break;
          case "error":
            setStatus((previous) => ({ ...previous, degraded: true }));
            break;
          case "ready":
            // Every connection starts with `ready` (reason "connected"); only a recovery means
            // events may have been missed while Redis was away.
            setStatus((previous) => ({ ...previous, degraded: false }));
            if (!message.data.includes('"connected"')) sync.resync();
            break;
          default:
            break;
        }
      },
    });
    connection.start();
    const unsubscribe = subscribeToken(() => {
      connection.restart();
    });
    return () => {
      unsubscribe();
      connection.stop();
      sync.stop();
    };
  }, [sync]);

  const value = useMemo(() => ({ status, sync }), [status, sync]);
  return <LiveContext value={value}>{children}</LiveContext>;
}
