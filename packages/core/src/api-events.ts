/**
 * The status-stream events of HTTP request tracking (docs/http-apis.md, docs/status-events.md):
 * per-route minute statistics and sampled slow or failed requests, written by `upnext/http` and
 * ingested by the history server beside job events.
 */
import { z } from "zod";
import { LATENCY_BUCKETS, STATUS_CLASSES } from "./api-latency.js";
import { MAX_NAME_LENGTH } from "./names.js";

/** Longest route template stored; longer ones are cut (a template is code, not user input). */
export const MAX_ROUTE_LENGTH = 512;

/** The name an API instance reports under (same characters as task names). */
export const apiNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, {
  error: `an API name is 1-${MAX_NAME_LENGTH} letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
});

const apiEnvelope = {
  /** The API's name (many instances share one). */
  api: apiNameSchema,
  /** This process's instance id ("<api>-<8 hex>"). */
  instanceId: z.string().min(1).max(200),
  /** Epoch milliseconds. */
  at: z.number().int().nonnegative(),
};

export const httpMethodSchema = z.string().regex(/^[A-Z]{1,16}$/);
export const routeTemplateSchema = z.string().min(1).max(MAX_ROUTE_LENGTH);

const statusCounts = z.object(
  Object.fromEntries(STATUS_CLASSES.map((name) => [name, z.number().int().nonnegative()])) as Record<
    (typeof STATUS_CLASSES)[number],
    z.ZodNumber
  >,
);

export const apiRouteMinuteSchema = z.object({
  method: httpMethodSchema,
  route: routeTemplateSchema,
  /** Requests of this minute so far (cumulative for the instance: a later report replaces it). */
  count: z.number().int().nonnegative(),
  statuses: statusCounts,
  /** Sum of the durations (ms). */
  durationMs: z.number().nonnegative(),
  /** Latency histogram, `[bucket, count]` pairs (core/api-latency.ts). */
  buckets: z.array(
    z.tuple([
      z
        .number()
        .int()
        .min(0)
        .max(LATENCY_BUCKETS - 1),
      z.number().int().min(1),
    ]),
  ),
});

export type ApiRouteMinute = z.infer<typeof apiRouteMinuteSchema>;

export const API_REQUEST_REASONS = ["slow", "failed"] as const;

export const apiRequestSampleSchema = z.object({
  method: httpMethodSchema,
  route: routeTemplateSchema,
  status: z.number().int().min(100).max(599),
  durationMs: z.number().nonnegative(),
  requestId: z.string().max(200).nullable(),
  traceId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .nullable(),
  reason: z.enum(API_REQUEST_REASONS),
});

export type ApiRequestSample = z.infer<typeof apiRequestSampleSchema>;

export const apiEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("api.stats"),
    ...apiEnvelope,
    data: z.object({
      /** Start of the minute (epoch ms, a multiple of 60,000). */
      minute: z.number().int().nonnegative().multipleOf(60_000),
      routes: z.array(apiRouteMinuteSchema).min(1),
    }),
  }),
  z.object({ type: z.literal("api.request"), ...apiEnvelope, data: apiRequestSampleSchema }),
]);

export type ApiEvent = z.infer<typeof apiEventSchema>;
export type ApiStatsEvent = Extract<ApiEvent, { type: "api.stats" }>;
export type ApiRequestEvent = Extract<ApiEvent, { type: "api.request" }>;

/** An API instance's registry record (Redis), as its heartbeat writes it. */
export const apiInstanceSchema = z.object({
  id: z.string().min(1),
  api: apiNameSchema,
  version: z.string().nullable(),
  host: z.string(),
  pid: z.number().int(),
  routes: z.array(z.object({ method: httpMethodSchema, route: routeTemplateSchema })),
  startedAt: z.number().int().nonnegative(),
  lastSeen: z.number().int().nonnegative(),
});

export type ApiInstance = z.infer<typeof apiInstanceSchema>;
