import { RouterProvider, createMemoryHistory, createRootRoute, createRouter } from "@tanstack/react-router";
import type { JobDetail } from "@upnext/core";
import { render, screen } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, it } from "vitest";
import { rerunOf } from "../../src/pages/job/job-origin.js";
import { JobSummaryFields } from "../../src/pages/job/job-summary.js";
import { row } from "../live/job-rows.js";

function detail(origin: unknown): JobDetail {
  return {
    ...row("01RETRY0000000000000000000", { status: "complete", kind: "replay" }),
    deliveries: 1,
    idempotencyKey: null,
    schedule: null,
    eventName: null,
    origin,
    input: { n: 21 },
    result: 42,
    error: null,
    metadata: {},
    checkpoint: null,
    dependsOn: [],
    dagParents: [],
    childrenCount: 0,
  };
}

function renderInRouter(element: ReactNode) {
  const router = createRouter({
    routeTree: createRootRoute({ component: () => element }),
    history: createMemoryHistory({ initialEntries: ["/"] }),
  });
  render(<RouterProvider router={router} />);
}

describe("a job's origin in its summary", () => {
  it("links a retry from the history to the job it retried", async () => {
    renderInRouter(
      <JobSummaryFields job={detail({ kind: "retry", retryOf: "01HISTORYONLY0000000000000" })} />,
    );
    const link = await screen.findByRole("link", { name: "retry of #01HISTORYONLY0000000000000" });
    expect(link.getAttribute("href")).toBe("/jobs/01HISTORYONLY0000000000000");
    expect(screen.getByText("Origin")).toBeTruthy();
  });

  it("links a replay to the job it replayed", async () => {
    renderInRouter(
      <JobSummaryFields job={detail({ kind: "replay", replayOf: "01REPLAYED000000000000000" })} />,
    );
    const link = await screen.findByRole("link", { name: "replay of #01REPLAYED000000000000000" });
    expect(link.getAttribute("href")).toBe("/jobs/01REPLAYED000000000000000");
  });

  it("shows no origin field for a plain submit", async () => {
    renderInRouter(<JobSummaryFields job={detail(null)} />);
    expect(await screen.findByText("Function")).toBeTruthy();
    expect(screen.queryByText("Origin")).toBeNull();
  });

  it("ignores other origins and a malformed stored origin", () => {
    expect(rerunOf({ kind: "cron", schedule: "nightly", scheduledFor: 1, catchUp: false })).toBeNull();
    expect(rerunOf({ kind: "retry" })).toBeNull();
    expect(rerunOf({ kind: "retry", retryOf: 7 })).toBeNull();
    expect(rerunOf("retry")).toBeNull();
  });
});
