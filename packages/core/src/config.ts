/**
 * The configuration schema: every UPNEXT_* environment variable, parsed once, in one place.
 * An invalid value is reported with the variable's name, the value and the default used;
 * values that must be right (where to connect, the key namespace) stop the process instead.
 * docs/configuration.md is generated from this table (npm run docs:config).
 */
import { z } from "zod";
import { bytes, durationMs, fraction, integer, setting, type Setting } from "./config-values.js";
import { formatDuration } from "./duration.js";
import { ConfigError } from "./errors.js";
import { isValidName } from "./names.js";
import { serverSettings } from "./server-settings.js";

export const OVERFLOW_STRATEGIES = ["drop-oldest", "drop-newest", "block", "spill"] as const;
export type OverflowStrategy = (typeof OVERFLOW_STRATEGIES)[number];

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

export const configSchema = {
  redisUrl: setting({
    env: "UPNEXT_REDIS_URL",
    description: "Redis connection URL used by workers, producers and the CLI.",
    default: "redis://127.0.0.1:6379",
    schema: z.string().regex(/^rediss?:\/\/\S+$/, "expected a redis:// or rediss:// URL"),
    fatal: true,
  }),
  namespace: setting({
    env: "UPNEXT_NAMESPACE",
    description: "Prefix of every Redis key, so several deployments can share one Redis.",
    default: "upnext",
    schema: z.string().refine(isValidName, "use letters, digits, '.', '_', ':' or '-'"),
    fatal: true,
  }),
  logLevel: setting({
    env: "UPNEXT_LOG_LEVEL",
    description: "Minimum level of the JSON logs (pino levels).",
    default: "info",
    schema: z.enum(LOG_LEVELS),
  }),
  concurrency: setting({
    env: "UPNEXT_CONCURRENCY",
    description: "Default number of jobs one worker runs at once (a Worker's `concurrency` option wins).",
    default: "10",
    schema: integer(1, 10_000),
  }),
  prefetch: setting({
    env: "UPNEXT_PREFETCH",
    description:
      "Jobs a worker claims ahead of free slots, so the next job starts without a round trip. Prefetched jobs are leased and handed back at shutdown. 0 disables prefetch.",
    default: "50",
    schema: integer(0, 10_000),
  }),
  leaseDuration: setting({
    env: "UPNEXT_LEASE_DURATION",
    description:
      "How long a claimed job stays reserved without a renewal. A worker renews every lease it holds at a third of this; a crashed worker's jobs are re-delivered after it.",
    default: "30s",
    schema: durationMs.pipe(z.number().min(1_000)),
  }),
  maxDeliveries: setting({
    env: "UPNEXT_MAX_DELIVERIES",
    description:
      "Deliveries of one attempt before a job whose lease keeps expiring is failed with reason `lost` and dead-lettered.",
    default: "3",
    schema: integer(1, 1_000),
  }),
  shutdownTimeout: setting({
    env: "UPNEXT_SHUTDOWN_TIMEOUT",
    description:
      "On SIGINT/SIGTERM, how long in-flight jobs may finish before they are handed back; also how long the history server may take to stop (its streams, ingest, Redis and database connections) before it drops them and exits.",
    default: "30s",
    schema: durationMs,
  }),
  defaultTimeout: setting({
    env: "UPNEXT_DEFAULT_TIMEOUT",
    description: "Timeout of a task that sets none.",
    default: "30m",
    schema: durationMs.pipe(z.number().min(1)),
  }),
  priorityStep: setting({
    env: "UPNEXT_PRIORITY_STEP",
    description:
      "How far one point of priority moves a job ahead in its queue: a job of priority p is ordered as if it had been submitted p × this earlier. Lower priorities therefore wait at most (difference × step) behind newer higher-priority jobs: nothing starves.",
    default: "1m",
    schema: durationMs.pipe(z.number().min(1)),
  }),
  jobRetention: setting({
    env: "UPNEXT_JOB_RETENTION",
    description: "How long a finished job (and its result) stays readable in Redis.",
    default: "24h",
    schema: durationMs.pipe(z.number().min(1_000)),
  }),
  idempotencyTtl: setting({
    env: "UPNEXT_IDEMPOTENCY_TTL",
    description:
      "How long an idempotency key maps to its job; a duplicate submit within it returns that job.",
    default: "24h",
    schema: durationMs.pipe(z.number().min(1_000)),
  }),
  deadLetterRetention: setting({
    env: "UPNEXT_DEAD_LETTER_RETENTION",
    description: "How long dead-lettered jobs are kept for inspection and replay.",
    default: "7d",
    schema: durationMs.pipe(z.number().min(1_000)),
  }),
  promoteInterval: setting({
    env: "UPNEXT_PROMOTE_INTERVAL",
    description:
      "Longest pause between checks for due scheduled and retrying jobs, and for expired leases (workers also wake early for known due times).",
    default: "250ms",
    schema: durationMs.pipe(z.number().min(5)),
  }),
  heartbeatInterval: setting({
    env: "UPNEXT_HEARTBEAT_INTERVAL",
    description:
      "How often a worker refreshes its registry record; the record expires after three missed beats.",
    default: "10s",
    schema: durationMs.pipe(z.number().min(100)),
  }),
  maxPayloadSize: setting({
    env: "UPNEXT_MAX_PAYLOAD_SIZE",
    description:
      "Largest JSON encoding of a job's input, result, checkpoint or metadata (and of an event payload). A submit over it throws `PayloadTooLargeError` and enqueues nothing; a result or checkpoint over it fails the job or the `checkpoint()` call. Sizes: `512KB`, `1MB`, `2MiB`.",
    default: "1MB",
    schema: bytes,
  }),
  statusBufferSize: setting({
    env: "UPNEXT_STATUS_BUFFER_SIZE",
    description: "Capacity of the in-memory buffer of status events waiting to be written.",
    default: "10000",
    schema: integer(10, 10_000_000),
  }),
  statusBufferBytes: setting({
    env: "UPNEXT_STATUS_BUFFER_BYTES",
    description:
      "Most bytes of JSON the status buffer holds, whatever the overflow strategy. At this bound or UPNEXT_STATUS_BUFFER_SIZE, progress, log, metric and heartbeat events are dropped oldest first (counted, warned about once); the strategy decides for the others.",
    default: "64MB",
    schema: bytes,
  }),
  statusOverflow: setting({
    env: "UPNEXT_STATUS_OVERFLOW",
    description:
      "What happens when the status buffer is full: `drop-oldest`, `drop-newest`, `block` (job completion waits for space) or `spill` (to a Redis list, drained when the stream is writable again).",
    default: "block",
    schema: z.enum(OVERFLOW_STRATEGIES),
  }),
  statusStreamMaxLen: setting({
    env: "UPNEXT_STATUS_STREAM_MAXLEN",
    description: "Approximate cap (MAXLEN ~) of the status stream.",
    default: "100000",
    schema: integer(100),
  }),
  statusFlushBatch: setting({
    env: "UPNEXT_STATUS_FLUSH_BATCH",
    description: "Most status events written in one pipelined batch.",
    default: "500",
    schema: integer(1, 100_000),
  }),
  progressMinDelta: setting({
    env: "UPNEXT_PROGRESS_MIN_DELTA",
    description:
      "Progress updates closer than this to the last one sent are coalesced (per worker; tasks may override).",
    default: "0.01",
    schema: fraction,
  }),
  progressMinInterval: setting({
    env: "UPNEXT_PROGRESS_MIN_INTERVAL",
    description:
      "Progress updates sooner than this after the last one sent are coalesced (per worker; tasks may override).",
    default: "200ms",
    schema: durationMs,
  }),
  claimsCacheMaxAge: setting({
    env: "UPNEXT_CLAIMS_CACHE_MAX_AGE",
    description: "Entries of a worker's claims cache older than this are evicted when the cache is swept.",
    default: "1h",
    schema: durationMs.pipe(z.number().min(1_000)),
  }),
  claimsCacheSweepEvery: setting({
    env: "UPNEXT_CLAIMS_CACHE_SWEEP_EVERY",
    description: "The claims cache is swept after this many finished jobs, or hourly, whichever comes first.",
    default: "10000",
    schema: integer(1),
  }),
  consumerIdleTimeout: setting({
    env: "UPNEXT_CONSUMER_IDLE_TIMEOUT",
    description:
      "Stream consumers idle for longer than this and owning no entries are deleted by the background cleanup.",
    default: "1h",
    schema: durationMs.pipe(z.number().min(1_000)),
  }),
  housekeepingInterval: setting({
    env: "UPNEXT_HOUSEKEEPING_INTERVAL",
    description: "How often one worker cleans up stale consumer groups and consumers.",
    default: "5m",
    schema: durationMs.pipe(z.number().min(1_000)),
  }),
  cronInterval: setting({
    env: "UPNEXT_CRON_INTERVAL",
    description:
      "Longest pause between two passes of a worker's cron scheduler (it also wakes for the next known slot). Each pass notices schedule changes, finished runs and lost work.",
    default: "1s",
    schema: durationMs.pipe(z.number().min(10).max(60_000)),
  }),
  cronMissedGrace: setting({
    env: "UPNEXT_CRON_MISSED_GRACE",
    description:
      "A cron slot noticed more than this after its time counts as missed and follows the schedule's missed-run policy; within it, the slot runs as a normal on-time run.",
    default: "5s",
    schema: durationMs.pipe(z.number().min(0).max(3_600_000)),
  }),
  workerHttpPort: setting({
    env: "UPNEXT_WORKER_HTTP_PORT",
    description:
      "When set, a started worker serves `/health`, `/ready` and `/metrics` (Prometheus) on this port; see docs/observability.md. Empty: off. 0 picks a free port.",
    default: "",
    schema: z
      .string()
      .regex(/^\s*\d*\s*$/, "expected a port number (0-65535) or nothing")
      .transform((value) => (value.trim() === "" ? null : Number(value)))
      .pipe(z.number().int().min(0).max(65_535).nullable()),
  }),
  workerHttpToken: setting({
    env: "UPNEXT_WORKER_HTTP_TOKEN",
    description:
      "When set, the worker's `/health`, `/ready` and `/metrics` answer only requests carrying `Authorization: Bearer <token>` (401 otherwise); `upnext health` sends it. Empty: open.",
    default: "",
    schema: z.string(),
    fatal: true,
  }),
  ...serverSettings,
} as const;

type Schema = typeof configSchema;
export type Config = { -readonly [K in keyof Schema]: Schema[K] extends Setting<infer T> ? T : never };
export type ConfigKey = keyof Config;

export interface ConfigWarning {
  readonly variable: string;
  readonly value: string;
  readonly problem: string;
  readonly defaultUsed?: string;
  readonly message: string;
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => issue.message).join("; ");
}

/**
 * Reads every UPNEXT_* variable of `env`. Invalid non-fatal values fall back to their default and
 * are reported through `onWarning`; unknown UPNEXT_* names are reported too (usually a typo).
 * The process's own environment, read once and cached, is upnext's `getConfig()`: this package
 * runs in the browser too and reads no environment itself.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  onWarning: (warning: ConfigWarning) => void,
): Config {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(configSchema) as [ConfigKey, Setting<unknown>][]) {
    const raw = env[spec.env];
    const fallback = spec.schema.parse(spec.default);
    if (raw === undefined || raw.trim() === "") {
      out[key] = fallback;
      continue;
    }
    const parsed = spec.schema.safeParse(raw.trim());
    if (parsed.success) {
      out[key] = parsed.data;
      continue;
    }
    const problem = describe(parsed.error);
    const shown = spec.secret === true ? "[redacted]" : raw;
    if (spec.fatal) throw new ConfigError(spec.env, shown, problem);
    onWarning({
      variable: spec.env,
      value: shown,
      problem,
      defaultUsed: spec.default,
      message: `${spec.env}=${JSON.stringify(shown)} is invalid (${problem}); using the default ${spec.default}.`,
    });
    out[key] = fallback;
  }
  const known = new Set(Object.values(configSchema).map((spec) => spec.env as string));
  for (const name of Object.keys(env)) {
    if (name.startsWith("UPNEXT_") && !known.has(name) && !EXTERNAL_VARIABLES.has(name)) {
      onWarning({
        variable: name,
        value: env[name] ?? "",
        problem: "unknown setting",
        message: `${name} is not an UpNext setting and is ignored; see docs/configuration.md for the list.`,
      });
    }
  }
  return out as Config;
}

/** UPNEXT_* variables read by other parts (the server, the example) and not by this schema. */
const EXTERNAL_VARIABLES = new Set<string>(["UPNEXT_EXAMPLE_RATE"]);

/** Rows for the generated configuration reference. */
export function describeConfig(): { env: string; default: string; description: string; fatal: boolean }[] {
  return Object.values(configSchema).map((spec: Setting<unknown>) => ({
    env: spec.env,
    default: spec.default,
    description: spec.description,
    fatal: spec.fatal === true,
  }));
}

export { formatDuration };
