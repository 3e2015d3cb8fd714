import { RouterProvider, createMemoryHistory, createRootRoute, createRouter } from "@tanstack/react-router";
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { JobOriginLink, rerunOf } from "../../src/pages/job/job-origin.js";

function renderOrigin(origin: unknown) {
  const router = createRouter({
    routeTree: createRootRoute({ component: () => <JobOriginLink origin={origin} /> }),
    history: createMemoryHistory({ initialEntries: ["/"] }),
  });
  render(<RouterProvider router={router} />);
}

describe("a job's origin in its summary", () => {
  it("links a retry from the history to the job it retried", async () => {
    renderOrigin({ kind: "retry", retryOf: "01HISTORYONLY0000000000000" });
    const link = await screen.findByRole("link", { name: "retry of #01HISTORYONLY0000000000000" });
    expect(link.getAttribute("href")).toBe("/jobs/01HISTORYONLY0000000000000");
  });

  it("links a replay to the job it replayed", async () => {
    renderOrigin({ kind: "replay", replayOf: "01REPLAYED000000000000000" });
    const link = await screen.findByRole("link", { name: "replay of #01REPLAYED000000000000000" });
    expect(link.getAttribute("href")).toBe("/jobs/01REPLAYED000000000000000");
  });

  it("shows nothing for other origins or a malformed stored origin", () => {
    expect(rerunOf(null)).toBeNull();
    expect(rerunOf({ kind: "cron", schedule: "nightly", scheduledFor: 1, catchUp: false })).toBeNull();
    expect(rerunOf({ kind: "retry" })).toBeNull();
    expect(rerunOf({ kind: "retry", retryOf: 7 })).toBeNull();
    expect(rerunOf("retry")).toBeNull();
  });
});
