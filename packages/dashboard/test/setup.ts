import { cleanup } from "@testing-library/react";
import { afterEach, beforeAll } from "vitest";
import { initI18n } from "../src/i18n/i18n.js";

// jsdom has no scrolling (the router restores scroll positions) and no media queries (the theme
// and the charts ask for them): answer as a light-mode screen does.
if (typeof window !== "undefined") {
  window.scrollTo = () => undefined;
  const answer = (query: string): Partial<MediaQueryList> => ({
    matches: false,
    media: query,
    onchange: null,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
    dispatchEvent: () => false,
  });
  Object.defineProperty(window, "matchMedia", { configurable: true, value: answer });
  // Nor layout: virtualized lists measure their scroll container, so give elements a screen's size.
  Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => 800 });
  Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => 1200 });
}

beforeAll(async () => {
  await initI18n("en");
});

afterEach(() => {
  if (typeof document !== "undefined") cleanup();
  if (typeof localStorage !== "undefined") localStorage.clear();
});
