import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider, createMemoryHistory, createRootRoute, createRouter } from "@tanstack/react-router";
import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { LiveCacheSync } from "../../src/live/live-cache-sync.js";
import { LiveContext } from "../../src/live/live-context.js";
import { ActivityPage } from "../../src/pages/activity/activity-page.js";
import { queryKeys } from "../../src/api/query-keys.js";
import { completed, progressed, started, submitted } from "../live/job-events.js";

function renderActivity() {
  const client = new QueryClient();
  // The registry's answer as the page would get it: one function that has sent no events yet.
  client.setQueryData(queryKeys.functions.list, {
    items: [{ name: "generate-report" }],
    page: { limit: 500, nextCursor: null, prevCursor: null, next: null, prev: null },
  });
  const sync = new LiveCacheSync(client);
  const router = createRouter({
    routeTree: createRootRoute({ component: ActivityPage }),
    history: createMemoryHistory({ initialEntries: ["/"] }),
  });
  render(
    <QueryClientProvider client={client}>
      <LiveContext value={{ status: { state: "open", degraded: false }, sync }}>
        <RouterProvider router={router} />
      </LiveContext>
    </QueryClientProvider>,
  );
  return sync;
}

function feedItems(): HTMLElement[] {
  return within(screen.getByRole("list", { name: "Live job events" })).getAllByRole("listitem");
}

describe("the activity feed", () => {
  it("shows events newest first, filters by function and holds still while paused", async () => {
    const sync = renderActivity();
    await screen.findByRole("heading", { level: 1, name: "Activity" });
    act(() => {
      sync.receive("1-0", submitted("a", { function: "send-email" }));
      sync.receive("2-0", submitted("b", { function: "resize-image" }));
      sync.receive("3-0", started("a", { function: "send-email" }));
      sync.flush();
    });
    expect(feedItems().map((item) => item.textContent)).toEqual([
      expect.stringContaining("send-emailstarted"),
      expect.stringContaining("resize-imagequeued"),
      expect.stringContaining("send-emailqueued"),
    ]);
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Function" }), "resize-image");
    expect(feedItems()).toHaveLength(1);
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Function" }), "");
    await userEvent.click(screen.getByRole("button", { name: "Pause feed" }));
    act(() => {
      sync.receive("4-0", completed("a", { function: "send-email" }));
      sync.flush();
    });
    expect(feedItems()).toHaveLength(3);
    await userEvent.click(screen.getByRole("button", { name: "Resume feed" }));
    expect(feedItems()).toHaveLength(4);
    sync.stop();
  });

  it("hides progress events until asked, filters by event type, and offers every registered function", async () => {
    const sync = renderActivity();
    await screen.findByRole("heading", { level: 1, name: "Activity" });
    act(() => {
      sync.receive("1-0", submitted("a", { function: "send-email" }));
      sync.receive("2-0", started("a", { function: "send-email" }));
      sync.receive("3-0", progressed("a", 0.5, { function: "send-email" }));
      sync.receive("4-0", progressed("a", 0.7, { function: "send-email" }));
      sync.flush();
    });
    expect(feedItems()).toHaveLength(2);
    await userEvent.click(screen.getByRole("checkbox", { name: "Show progress and log events" }));
    expect(feedItems()).toHaveLength(4);
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Event type" }), "started");
    expect(feedItems().map((item) => item.textContent)).toEqual([expect.stringContaining("started")]);
    const functions = within(screen.getByRole("combobox", { name: "Function" }))
      .getAllByRole("option")
      .map((option) => option.textContent);
    expect(functions).toEqual(["All", "generate-report", "send-email"]);
    sync.stop();
  });
});
