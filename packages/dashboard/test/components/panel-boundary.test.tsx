import { QueryClient, QueryClientProvider, useSuspenseQuery } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiRequestError } from "../../src/api/api-error.js";
import { Panel } from "../../src/components/panel.js";

let attempts = 0;

function FlakyFigures() {
  const { data } = useSuspenseQuery({
    queryKey: ["flaky"],
    queryFn: () => {
      attempts += 1;
      if (attempts === 1) {
        return Promise.reject(new ApiRequestError(503, "dependency_unavailable", "Redis is down", "req-7"));
      }
      return Promise.resolve("42 jobs");
    },
    retry: false,
  });
  return <p>{data}</p>;
}

function Broken(): never {
  throw new Error("render bug in the chart");
}

function renderPage(client: QueryClient) {
  return render(
    <QueryClientProvider client={client}>
      <Panel title="Figures">
        <FlakyFigures />
      </Panel>
      <Panel title="Chart">
        <Broken />
      </Panel>
      <Panel title="Workers">
        <p>3 online</p>
      </Panel>
    </QueryClientProvider>,
  );
}

afterEach(() => {
  attempts = 0;
  vi.restoreAllMocks();
});

describe("Panel error boundaries", () => {
  it("shows a failing panel's own error and keeps the others working", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    renderPage(new QueryClient());
    const chart = screen.getByRole("region", { name: "Chart" });
    expect(within(chart).getByRole("alert").textContent).toContain("render bug in the chart");
    expect(within(chart).getByText("render bug in the chart")).toBeTruthy();
    expect(within(screen.getByRole("region", { name: "Workers" })).getByText("3 online")).toBeTruthy();
    const figures = screen.getByRole("region", { name: "Figures" });
    expect(await within(figures).findByText(/cannot reach Redis or its database/)).toBeTruthy();
    expect(within(figures).getByText("Request id req-7")).toBeTruthy();
  });

  it("retries the failed query from the panel's Retry button", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    renderPage(new QueryClient());
    const figures = screen.getByRole("region", { name: "Figures" });
    const retry = await within(figures).findByRole("button", { name: "Retry" });
    await userEvent.click(retry);
    expect(await within(figures).findByText("42 jobs")).toBeTruthy();
    expect(attempts).toBe(2);
  });
});
