/** HTTP APIs as the REST API shows them (docs/http-apis.md): instances, routes, figures, samples. */
import { z } from "zod";
import { API_REQUEST_REASONS } from "../api-events.js";
import { STATUS_CLASSES } from "../api-latency.js";
import { isoTimeSchema, timeWindowSchema } from "./page.js";

const statusCountsSchema = z.object(
  Object.fromEntries(STATUS_CLASSES.map((name) => [name, z.number().int()])) as Record<
    (typeof STATUS_CLASSES)[number],
    z.ZodNumber
  >,
);

/** Figures over a set of requests; latencies are null when there were none. */
export const routeFiguresSchema = z.object({
  count: z.number().int(),
  statuses: statusCountsSchema,
  /** Share of requests answered 5xx (0..1). */
  errorRate: z.number(),
  avgMs: z.number().nullable(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
});
export type RouteFigures = z.infer<typeof routeFiguresSchema>;

export const apiRouteSchema = routeFiguresSchema.extend({
  method: z.string(),
  route: z.string(),
  /** A live instance declares this route (it may have had no request in the window). */
  declared: z.boolean(),
});
export type ApiRouteSummary = z.infer<typeof apiRouteSchema>;

export const apiInstanceSummarySchema = z.object({
  id: z.string(),
  version: z.string().nullable(),
  host: z.string(),
  pid: z.number().int(),
  routes: z.number().int(),
  startedAt: isoTimeSchema,
  lastSeenAt: isoTimeSchema,
  online: z.boolean(),
});
export type ApiInstanceSummary = z.infer<typeof apiInstanceSummarySchema>;

export const apiSummarySchema = z.object({
  name: z.string(),
  instances: z.array(apiInstanceSummarySchema),
  online: z.number().int(),
  window: timeWindowSchema,
  totals: routeFiguresSchema,
  routes: z.array(apiRouteSchema),
});
export type ApiSummary = z.infer<typeof apiSummarySchema>;

export const apiListSchema = z.object({ items: z.array(apiSummarySchema) });
export type ApiList = z.infer<typeof apiListSchema>;

export const routeTrendPointSchema = routeFiguresSchema.extend({ at: isoTimeSchema });
export type RouteTrendPoint = z.infer<typeof routeTrendPointSchema>;

export const apiRouteDetailSchema = z.object({
  api: z.string(),
  method: z.string(),
  route: z.string(),
  window: timeWindowSchema,
  figures: routeFiguresSchema,
  /** Per minute over the last hour (minutes without requests included, with zeros). */
  minutes: z.array(routeTrendPointSchema),
  /** Per hour over the window. */
  hours: z.array(routeTrendPointSchema),
});
export type ApiRouteDetail = z.infer<typeof apiRouteDetailSchema>;

export const apiRequestSchema = z.object({
  id: z.string(),
  api: z.string(),
  instanceId: z.string(),
  method: z.string(),
  route: z.string(),
  status: z.number().int(),
  durationMs: z.number(),
  requestId: z.string().nullable(),
  traceId: z.string().nullable(),
  reason: z.enum(API_REQUEST_REASONS),
  at: isoTimeSchema,
});
export type ApiRequest = z.infer<typeof apiRequestSchema>;

export const apiRequestListSchema = z.object({ items: z.array(apiRequestSchema) });
export type ApiRequestList = z.infer<typeof apiRequestListSchema>;
