/**
 * The read API's reports as the sources of the dashboard and trends streams, so a stream sends
 * exactly what the matching REST endpoint answers.
 */
import { DEFAULT_TIME_WINDOW, isTimeWindowName } from "@upnext/core";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import type { StreamHub } from "../sse/stream-hub.js";
import { dashboardSummary } from "./dashboard-summary.js";
import { DEFAULT_TREND_HOURS, jobTrends } from "./job-trends.js";

export function registerReadSnapshots(hub: StreamHub, deps: ServerDependencies): void {
  hub.registerSnapshotSource("dashboard", (params) =>
    dashboardSummary(deps, isTimeWindowName(params.window) ? params.window : DEFAULT_TIME_WINDOW),
  );
  // The stream route validated the parameters with the same rules as GET /api/v1/jobs/trends.
  hub.registerSnapshotSource("jobTrends", (params) =>
    jobTrends(deps, {
      hours: typeof params.hours === "number" ? params.hours : DEFAULT_TREND_HOURS,
      window: isTimeWindowName(params.window) ? params.window : undefined,
      functions: Array.isArray(params.functions)
        ? params.functions.filter((item): item is string => typeof item === "string")
        : undefined,
    }),
  );
}
