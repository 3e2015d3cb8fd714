/**
 * While a job's page is open, its artifacts stream (`event: artifact` for each one created or
 * deleted, `event: reset` when notifications were missed) refreshes the artifact list.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { authHeaders } from "../api/auth-token.js";
import { apiUrl } from "../api/http.js";
import { queryKeys } from "../api/query-keys.js";
import { SseConnection } from "./sse-connection.js";

export function useArtifactStream(jobId: string): void {
  const client = useQueryClient();
  useEffect(() => {
    const connection = new SseConnection({
      url: () => apiUrl(`/jobs/${encodeURIComponent(jobId)}/artifacts/stream`),
      headers: authHeaders,
      onOpen: ({ reconnected }) => {
        if (reconnected) void client.invalidateQueries({ queryKey: queryKeys.jobs.artifacts(jobId) });
      },
      onMessage: (message) => {
        if (message.event === "artifact" || message.event === "reset") {
          void client.invalidateQueries({ queryKey: queryKeys.jobs.artifacts(jobId) });
        }
      },
    });
    connection.start();
    return () => {
      connection.stop();
    };
  }, [client, jobId]);
}
