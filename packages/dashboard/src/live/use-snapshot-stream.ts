/**
 * A page-level live stream of snapshots (`event: snapshot`, data `{at, snapshot}`): each snapshot
 * replaces the query's data, so the page stays current without polling. The stream lives while
 * the page is mounted and pauses with the tab like the job stream.
 */
import { type QueryKey, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { authHeaders } from "../api/auth-token.js";
import { type QueryParams, apiUrl } from "../api/http.js";
import { SseConnection } from "./sse-connection.js";

export function useSnapshotStream<S, D = S>(
  path: string,
  params: QueryParams | undefined,
  queryKey: QueryKey,
  toData: (snapshot: S, previous: D | undefined) => D = (snapshot) => snapshot as unknown as D,
): void {
  const client = useQueryClient();
  const url = apiUrl(path, params);
  const keyText = JSON.stringify(queryKey);
  useEffect(() => {
    const key = JSON.parse(keyText) as QueryKey;
    const connection = new SseConnection({
      url: () => url,
      headers: authHeaders,
      onMessage: (message) => {
        if (message.event !== "snapshot") return;
        try {
          const { snapshot } = JSON.parse(message.data) as { snapshot: S };
          client.setQueryData<D>(key, (previous) => toData(snapshot, previous));
        } catch {
          // A malformed frame is skipped; the next snapshot replaces it.
        }
      },
    });
    connection.start();
    return () => {
      connection.stop();
    };
    // toData is a pure mapping given inline; re-subscribing for its identity would churn the stream.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, url, keyText]);
}
