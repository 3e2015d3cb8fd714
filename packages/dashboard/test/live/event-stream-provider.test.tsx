/**
 * EventStreamProvider against a real local SSE server: job events reach the cache, the server's
 * `reset` and a recovery `ready` resync it, `error` marks the stream degraded, and the `ready`
 * every connection starts with does not refetch anything.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { JobSummary } from "@upnext/core";
import { act, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setApiOrigin } from "../../src/api/http.js";
import { queryKeys } from "../../src/api/query-keys.js";
import { EventStreamProvider } from "../../src/live/event-stream-provider.js";
import type { InfinitePages, Paged } from "../../src/live/job-cache-merge.js";
import { useLive } from "../../src/live/live-context.js";
import { completed, started, submitted } from "./job-events.js";
import { pages, row } from "./job-rows.js";

let server: Server;
let streams: ServerResponse[];
let requests: IncomingMessage[];
let client: QueryClient;

function send(event: string, id: string, data: unknown): void {
  for (const stream of streams) stream.write(`event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`);
}

function StatusProbe() {
  const { status } = useLive();
  return <p data-testid="probe">{`${status.state}/${status.degraded ? "degraded" : "healthy"}`}</p>;
}

function isInvalidated(key: readonly unknown[]): boolean {
  return client.getQueryCache().find({ queryKey: key, exact: true })?.state.isInvalidated ?? false;
}

beforeEach(async () => {
  streams = [];
  requests = [];
  server = createServer((request, response) => {
    requests.push(request);
    response.writeHead(200, { "content-type": "text/event-stream" });
    response.flushHeaders();
    streams.push(response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  setApiOrigin(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  client = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, gcTime: Infinity } } });
  client.setQueryData(queryKeys.jobs.list({}, 50), pages({ items: [row("old")] }));
  client.setQueryData(queryKeys.dashboard.summary, { stale: false });
  render(
    <QueryClientProvider client={client}>
      <EventStreamProvider>
        <StatusProbe />
      </EventStreamProvider>
    </QueryClientProvider>,
  );
  await waitFor(() => {
    expect(streams.length).toBe(1);
  });
});

afterEach(async () => {
  setApiOrigin("");
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("EventStreamProvider", () => {
  it("asks for every job event type but metrics", () => {
    const url = new URL(requests[0]?.url ?? "", "http://x");
    expect(url.pathname).toBe("/api/v1/jobs/stream");
    expect(url.searchParams.get("type")?.split(",")).not.toContain("metric");
    expect(url.searchParams.get("type")?.split(",")).toContain("completed");
  });

  it("merges job events into the cached lists", async () => {
    send("ready", "1-0", { reason: "connected" });
    send("job", "2-0", submitted("fresh"));
    send("job", "3-0", started("fresh"));
    send("job", "4-0", completed("fresh"));
    await waitFor(() => {
      const data = client.getQueryData<InfinitePages<Paged<JobSummary>>>(queryKeys.jobs.list({}, 50));
      expect(data?.pages[0]?.items.map((item) => [item.id, item.status])).toEqual([
        ["fresh", "complete"],
        ["old", "queued"],
      ]);
    });
    expect(isInvalidated(queryKeys.dashboard.summary)).toBe(false);
  });

  it("resyncs on reset", async () => {
    send("reset", "5-0", { reason: "The stream no longer holds event 1-0" });
    await waitFor(() => {
      expect(isInvalidated(queryKeys.dashboard.summary)).toBe(true);
    });
  });

  it("shows the stream degraded on error and resyncs when the server recovers", async () => {
    await waitFor(() => {
      expect(screen.getByTestId("probe").textContent).toBe("open/healthy");
    });
    send("error", "6-0", {
      code: "dependency_unavailable",
      dependency: "redis",
      message: "Redis is unavailable",
    });
    await waitFor(() => {
      expect(screen.getByTestId("probe").textContent).toBe("open/degraded");
    });
    expect(isInvalidated(queryKeys.dashboard.summary)).toBe(false);
    send("ready", "7-0", { reason: "recovered" });
    await waitFor(() => {
      expect(screen.getByTestId("probe").textContent).toBe("open/healthy");
    });
    expect(isInvalidated(queryKeys.dashboard.summary)).toBe(true);
  });

  it("reconnects with Last-Event-ID after the server drops it, and resyncs", async () => {
    send("job", "8-0", submitted("before-drop"));
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    streams[0]?.end();
    await waitFor(
      () => {
        expect(requests.length).toBe(2);
      },
      { timeout: 5_000 },
    );
    expect(requests[1]?.headers["last-event-id"]).toBe("8-0");
    await waitFor(() => {
      expect(isInvalidated(queryKeys.dashboard.summary)).toBe(true);
    });
  });
});
