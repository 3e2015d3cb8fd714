/**
 * The APIs page and the overview's API tiles end to end, without a browser: the history server
 * and a Fastify app with the `upnext/http` tracker run in a child process against the real Redis;
 * the dashboard's own router, queries and SSE client are rendered here. The route tree shows the
 * requests the app answered and a failing request sampled after the page opened arrives live.
 * The route page's uPlot charts and the overview tiles need a canvas: e2e/apis.e2e.ts covers them.
 */
import { join } from "node:path";
import { screen, waitFor, within } from "@testing-library/react";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setApiOrigin } from "../../src/api/http.js";
import { renderApp } from "./render-app.js";
import { type StackProcess, startStackProcess } from "./stack-process.js";
import { TRACKED_API } from "./tracked-api.js";

const STARTUP_MS = 60_000;
let stack: StackProcess;

beforeAll(async () => {
  stack = startStackProcess(join(import.meta.dirname, "apis-stack.ts"), "dash-apis-it");
  setApiOrigin(await stack.reply<string>("url", STARTUP_MS));
  stack.send("traffic");
  expect(await stack.reply<number>("sent", 20_000)).toBe(5);
}, STARTUP_MS + 20_000);

afterAll(async () => {
  setApiOrigin("");
  await stack.stop();
});

function rowOf(link: HTMLElement): HTMLElement {
  const row = link.closest("tr");
  if (row === null) throw new Error("the link is not in a table row");
  return row;
}

describe("the APIs pages against a real server, Redis and tracked Fastify app", () => {
  it("shows the instance, the route tree with figures, and a failed request arriving live", async () => {
    const { queryClient } = renderApp("/apis");
    await screen.findByRole("heading", { level: 1, name: "HTTP APIs" }, { timeout: 15_000 });
    // The ingester stores the flushed minute and samples shortly after they were reported: refetch
    // until they show.
    const routes = await waitFor(
      async () => {
        await queryClient.refetchQueries({ queryKey: ["apis"] });
        const table = screen.getByRole("table", { name: `Routes of ${TRACKED_API}` });
        const fast = rowOf(within(table).getByRole("link", { name: "GET /orders/:id" }));
        expect(within(fast).getAllByRole("cell")[1]?.textContent).toBe("3");
        const recent = screen.getByRole("table", { name: "Recent slow and failed requests" });
        expect(within(recent).getAllByRole("row")).toHaveLength(3);
        return table;
      },
      { timeout: 20_000, interval: 500 },
    );
    // Grouped under the first segment, all three routes (5 requests).
    expect(within(routes).getByRole("rowheader", { name: /^\/orders · 5 requests$/ })).toBeTruthy();
    const failing = rowOf(within(routes).getByRole("link", { name: "POST /orders" }));
    expect(within(failing).getAllByRole("cell")[2]?.textContent).toMatch(/^1 \(100\s?%\)$/);
    const slow = rowOf(within(routes).getByRole("link", { name: "GET /orders/:id/slow" }));
    expect(within(slow).getAllByRole("cell")[2]?.textContent).toMatch(/^0 \(0\s?%\)$/);
    // Each route's sparkline of the last hour counts its requests.
    await within(failing).findByRole("img", { name: "1 request in the last hour, per minute" });

    const instances = screen.getByRole("table", { name: `Instances of ${TRACKED_API}` });
    expect(within(instances).getByText("1.4.2")).toBeTruthy();
    expect(within(instances).getAllByText("Online")).toHaveLength(2);

    const recent = screen.getByRole("table", { name: "Recent slow and failed requests" });
    expect(within(recent).getByText("Slow")).toBeTruthy();
    // Sampled after the page opened: only the live stream can bring it without a refetch.
    stack.send("fail");
    await stack.reply("failed", 10_000);
    await waitFor(
      () => {
        expect(within(recent).getAllByRole("row")).toHaveLength(4);
      },
      { timeout: 15_000 },
    );
    expect(within(recent).getAllByText("Failed")).toHaveLength(2);
  }, 60_000);
});
