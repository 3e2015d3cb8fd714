import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider, createMemoryHistory, createRootRoute, createRouter } from "@tanstack/react-router";
import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { LiveCacheSync } from "../../src/live/live-cache-sync.js";
import { LiveContext } from "../../src/live/live-context.js";
import { ActivityPage } from "../../src/pages/activity/activity-page.js";
import { completed, started, submitted } from "../live/job-events.js";

function renderActivity() {
  const client = new QueryClient();
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
});
