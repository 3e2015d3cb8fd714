/**
 * The route tree. Every page is its own chunk (lazyRouteComponent), so the first visit loads
 * only the shell and the page it opens; the rest load on navigation. Every route has the same
 * error boundary and not-found page.
 */
import type { QueryClient } from "@tanstack/react-query";
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  lazyRouteComponent,
} from "@tanstack/react-router";
import { validateApiRouteSearch } from "../pages/apis/route-search.js";
import { validateDeadLetterSearch } from "../pages/dead-letters/dead-letters-search.js";
import { validateJobsSearch } from "../pages/jobs/jobs-search.js";
import { validateWindowSearch } from "../pages/time-window-search.js";
import { AppLayout } from "./app-layout.js";
import { NotFoundPage, RouteError, RoutePending } from "./route-fallbacks.js";

export interface RouterContext {
  readonly queryClient: QueryClient;
}

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: AppLayout,
  notFoundComponent: NotFoundPage,
  errorComponent: RouteError,
});

const overviewRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/",
  validateSearch: validateWindowSearch,
  component: lazyRouteComponent(() => import("../pages/overview/overview-page.js"), "OverviewPage"),
});

const jobsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/jobs",
  validateSearch: validateJobsSearch,
  component: lazyRouteComponent(() => import("../pages/jobs/jobs-page.js"), "JobsPage"),
});

const jobRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/jobs/$jobId",
  component: lazyRouteComponent(() => import("../pages/job/job-page.js"), "JobPage"),
});

const functionsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/functions",
  component: lazyRouteComponent(() => import("../pages/functions/functions-page.js"), "FunctionsPage"),
});

const functionRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/functions/$name",
  validateSearch: validateWindowSearch,
  component: lazyRouteComponent(() => import("../pages/functions/function-page.js"), "FunctionPage"),
});

const workersRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/workers",
  component: lazyRouteComponent(() => import("../pages/workers/workers-page.js"), "WorkersPage"),
});

const workerRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/workers/$workerId",
  component: lazyRouteComponent(() => import("../pages/workers/worker-page.js"), "WorkerPage"),
});

const schedulesRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/schedules",
  component: lazyRouteComponent(() => import("../pages/schedules/schedules-page.js"), "SchedulesPage"),
});

const deadLettersRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/dead-letters",
  validateSearch: validateDeadLetterSearch,
  component: lazyRouteComponent(
    () => import("../pages/dead-letters/dead-letters-page.js"),
    "DeadLettersPage",
  ),
});

const activityRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/activity",
  component: lazyRouteComponent(() => import("../pages/activity/activity-page.js"), "ActivityPage"),
});

const apisRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/apis",
  component: lazyRouteComponent(() => import("../pages/apis/apis-page.js"), "ApisPage"),
});

const apiRouteRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/apis/$name/route",
  validateSearch: validateApiRouteSearch,
  component: lazyRouteComponent(() => import("../pages/apis/api-route-page.js"), "ApiRoutePage"),
});

export const routeTree = rootRoute.addChildren([
  overviewRoute,
  jobsRoute,
  jobRoute,
  functionsRoute,
  functionRoute,
  workersRoute,
  workerRoute,
  schedulesRoute,
  deadLettersRoute,
  activityRoute,
  apisRoute,
  apiRouteRoute,
]);

export function createAppRouter(queryClient: QueryClient) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPendingComponent: RoutePending,
    defaultErrorComponent: RouteError,
    defaultNotFoundComponent: NotFoundPage,
    defaultPreload: "intent",
    scrollRestoration: true,
  });
}

declare module "@tanstack/react-router" {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
