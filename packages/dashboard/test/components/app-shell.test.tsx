import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider, createMemoryHistory, createRouter } from "@tanstack/react-router";
import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { routeTree } from "../../src/app/router.js";
import { i18next } from "../../src/i18n/i18n.js";
import { THEME_STORAGE_KEY } from "../../src/theme/theme.js";

function renderApp(path: string) {
  const queryClient = new QueryClient();
  const router = createRouter({
    routeTree,
    context: { queryClient },
    history: createMemoryHistory({ initialEntries: [path] }),
  });
  render(
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return router;
}

afterEach(async () => {
  await act(() => i18next.changeLanguage("en"));
  document.documentElement.classList.remove("dark");
});

describe("the app shell", () => {
  it("has a skip link, a labelled navigation and marks the current page", async () => {
    renderApp("/functions");
    expect(await screen.findByRole("heading", { level: 1, name: "Functions" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Skip to content" }).getAttribute("href")).toBe("#main");
    const nav = screen.getByRole("navigation", { name: "Main navigation" });
    expect(nav.querySelector('[aria-current="page"]')?.textContent).toBe("Functions");
  });

  it("shows a not-found page with a way back for an unknown address", async () => {
    renderApp("/no/such/page");
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeTruthy();
    expect(screen.getByText("Nothing lives at /no/such/page.")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Back to the overview" })).toBeTruthy();
  });

  it("switches the whole UI to German and remembers the choice", async () => {
    renderApp("/workers");
    await screen.findByRole("heading", { level: 1, name: "Workers" });
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Language" }), "de");
    expect(await screen.findByRole("link", { name: "Zeitpläne" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Zum Inhalt springen" })).toBeTruthy();
    expect(document.documentElement.lang).toBe("de");
    expect(localStorage.getItem("upnext.language")).toBe("de");
  });

  it("toggles between light and dark and keeps the choice", async () => {
    renderApp("/");
    const toDark = await screen.findByRole("button", { name: "Switch to dark theme" });
    await userEvent.click(toDark);
    expect(document.documentElement.classList.contains("dark")).toBe(true);
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe("dark");
    await userEvent.click(screen.getByRole("button", { name: "Switch to light theme" }));
    expect(document.documentElement.classList.contains("dark")).toBe(false);
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe("light");
  });
});
