/** `upnext/http`: request tracking for Fastify, Express and Hono (docs/http-apis.md). */
export {
  ApiTracker,
  type ApiRoute,
  type ApiTrackerCounters,
  type ApiTrackerOptions,
  type TrackedRequest,
} from "./api-tracker.js";
export { fastifyTracking } from "./fastify-plugin.js";
export { expressTracking } from "./express-middleware.js";
export { honoTracking } from "./hono-middleware.js";
export { OTHER_ROUTE, UNMATCHED_ROUTE } from "./route-stats.js";
