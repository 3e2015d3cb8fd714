/**
 * The `?window=` of the overview and function pages: one of the server's named windows
 * (docs/dashboard.md, "Time windows"). An unknown value is dropped, so the page shows the default.
 */
import type { TimeWindowName } from "@upnext/core";

/** Every window the server offers; a new one in @upnext/core is a type error here until added. */
const WINDOW_NAMES: Record<TimeWindowName, true> = {
  "15m": true,
  "1h": true,
  "6h": true,
  "24h": true,
  "7d": true,
};

export const TIME_WINDOW_VALUES = Object.keys(WINDOW_NAMES) as TimeWindowName[];
export const DEFAULT_WINDOW: TimeWindowName = "1h";

export interface WindowSearch {
  readonly window?: TimeWindowName;
}

function isWindow(value: unknown): value is TimeWindowName {
  return typeof value === "string" && Object.hasOwn(WINDOW_NAMES, value);
}

export function validateWindowSearch(search: Record<string, unknown>): WindowSearch {
  return isWindow(search.window) ? { window: search.window } : {};
}
