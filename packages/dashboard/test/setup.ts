import { cleanup } from "@testing-library/react";
import { afterEach, beforeAll } from "vitest";
import { initI18n } from "../src/i18n/i18n.js";

// jsdom has no scrolling; the router restores scroll positions on navigation.
if (typeof window !== "undefined") window.scrollTo = () => undefined;

beforeAll(async () => {
  await initI18n("en");
});

afterEach(() => {
  if (typeof document !== "undefined") cleanup();
  if (typeof localStorage !== "undefined") localStorage.clear();
});
