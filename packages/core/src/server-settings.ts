/**
 * The history server's settings (`upnext server start`): where it listens, where the history
 * lives, and the limits that protect it. Part of the one configuration schema in config.ts.
 */
import { z } from "zod";
import { bytes, durationMs, fraction, integer, setting } from "./config-values.js";
import { parseRate } from "./rate.js";

const rate = z.string().transform((value, ctx) => {
  try {
    return parseRate(value, "rate");
  } catch {
    ctx.addIssue({ code: "custom", message: 'expected a rate such as "600/m" or "20/s"' });
    return z.NEVER;
  }
});

const httpUrl = z.string().regex(/^https?:\/\/\S+$/, "expected an http:// or https:// URL");

export const ARTIFACT_STORAGES = ["local", "s3"] as const;

export const LOG_FORMATS = ["auto", "pretty", "json", "ecs"] as const;

/** What a token may do: `read` every GET and live stream; `admin` also every action. */
export const API_SCOPES = ["read", "admin"] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface NamedApiToken {
  readonly name: string;
  readonly scope: ApiScope;
  readonly token: string;
}

const TOKEN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MIN_TOKEN_LENGTH = 16;

/** `name:scope:token` entries, comma-separated (tokens hold no commas or colons). */
const namedTokens = z.string().transform((value, ctx): NamedApiToken[] => {
  const entries = value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const tokens: NamedApiToken[] = [];
  for (const [index, entry] of entries.entries()) {
    const [name = "", scope = "", token = "", ...rest] = entry.split(":");
    const problem =
      rest.length > 0 || token === ""
        ? "is not name:scope:token"
        : !TOKEN_NAME.test(name)
          ? `has the name ${JSON.stringify(name)}: use 1-64 letters, digits, '_', '.' or '-'`
          : !(API_SCOPES as readonly string[]).includes(scope)
            ? `has the scope ${JSON.stringify(scope)}: use ${API_SCOPES.join(" or ")}`
            : token.length < MIN_TOKEN_LENGTH
              ? `has a token shorter than ${MIN_TOKEN_LENGTH} characters`
              : tokens.some((other) => other.name === name)
                ? `repeats the name ${JSON.stringify(name)}`
                : undefined;
    if (problem !== undefined) {
      // The entry itself holds a secret: name its position, never its text.
      ctx.addIssue({ code: "custom", message: `entry ${index + 1} ${problem}` });
      return z.NEVER;
    }
    tokens.push({ name, scope: scope as ApiScope, token });
  }
  return tokens;
});

/**
 * Fastify's `trustProxy`: off, every proxy (`true`), a number of hops, or the proxies'
 * addresses and CIDR ranges.
 */
const trustProxy = z.string().transform((value, ctx): boolean | number | string[] => {
  const trimmed = value.trim().toLowerCase();
  if (trimmed === "" || trimmed === "false") return false;
  if (trimmed === "true") return true;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const addresses = trimmed
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  const bad = addresses.find(
    (part) =>
      !/^[0-9a-f.:]+(\/\d{1,3})?$/.test(part) && !["loopback", "linklocal", "uniquelocal"].includes(part),
  );
  if (bad !== undefined) {
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(bad)} is not an address or CIDR range: expected true, a hop count, or addresses such as 10.0.0.0/8,loopback`,
    });
    return z.NEVER;
  }
  return addresses;
});

/** The server's alert rules (docs/server.md#alerts). */
const ALERT_RULES = [
  "invalid_events",
  "failure_rate",
  "dead_letter_growth",
  "stuck_jobs",
  "queue_wait",
] as const;

const alertRuleList = z.string().transform((value, ctx) => {
  const names = value
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "" && name !== "none");
  const unknown = names.filter((name) => !(ALERT_RULES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    ctx.addIssue({
      code: "custom",
      message: `unknown rule(s) ${unknown.join(", ")}; use ${ALERT_RULES.join(", ")} or none`,
    });
    return z.NEVER;
  }
  return names as (typeof ALERT_RULES)[number][];
});
export type LogFormat = (typeof LOG_FORMATS)[number];

export const serverSettings = {
  databaseUrl: setting({
    env: "UPNEXT_DATABASE_URL",
    description:
      "Where the server keeps the job history: `sqlite:<file>` (or a bare file path) for an embedded SQLite file, or a `postgres://` / `postgresql://` URL.",
    default: "sqlite:./upnext.db",
    schema: z
      .string()
      .regex(
        /^(postgres(ql)?:\/\/\S+|sqlite:\S+|(?![a-z][a-z0-9+.-]*:\/\/)[^\s]+)$/i,
        "expected sqlite:<file>, a file path, or a postgres:// URL",
      ),
    fatal: true,
  }),
  serverHost: setting({
    env: "UPNEXT_SERVER_HOST",
    description:
      "Address the server listens on. A non-loopback address is refused unless UPNEXT_API_TOKEN is set.",
    default: "127.0.0.1",
    schema: z.string().min(1),
    fatal: true,
  }),
  serverPort: setting({
    env: "UPNEXT_SERVER_PORT",
    description: "Port the server listens on (0 picks a free one).",
    default: "8080",
    schema: integer(0, 65_535),
    fatal: true,
  }),
  serverUrl: setting({
    env: "UPNEXT_SERVER_URL",
    description: "Where workers reach the server (artifact uploads from `ctx.artifacts`).",
    default: "http://127.0.0.1:8080",
    schema: httpUrl,
  }),
  apiToken: setting({
    env: "UPNEXT_API_TOKEN",
    description:
      "Bearer token required on every /api/v1 route and stream when set. Required to listen on a non-loopback address. Workers send it with artifact uploads.",
    default: "",
    schema: z.string(),
    fatal: true,
  }),
  apiTokens: setting({
    env: "UPNEXT_API_TOKENS",
    description:
      "Named bearer tokens with a scope, when set: comma-separated `name:scope:token` (scope `read`: every GET and live stream; `admin`: also cancel, retry, replay, purge, schedules, pause). Used beside UPNEXT_API_TOKEN, which is an admin token named `default`. Tokens are at least 16 characters.",
    default: "",
    schema: namedTokens,
    fatal: true,
    secret: true,
  }),
  trustProxy: setting({
    env: "UPNEXT_TRUST_PROXY",
    description:
      "Reverse proxies whose X-Forwarded-For the server believes, so rate limits and stream caps count the real client: empty (none), `true` (any), a hop count, or addresses and CIDR ranges (`10.0.0.0/8,loopback`).",
    default: "",
    schema: trustProxy,
    fatal: true,
  }),
  corsOrigins: setting({
    env: "UPNEXT_CORS_ORIGINS",
    description: "Comma-separated origins allowed to call the API from a browser (empty: same origin only).",
    default: "",
    schema: z.string().transform((value) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter((origin) => origin !== ""),
    ),
  }),
  logFormat: setting({
    env: "UPNEXT_LOG_FORMAT",
    description:
      "How workers, the CLI and the server write logs: `auto` (readable lines when stdout is a terminal, JSON otherwise), `pretty` (always readable lines), `json` (pino's JSON lines) or `ecs` (JSON with Elastic Common Schema field names; workers write pino's JSON).",
    default: "auto",
    schema: z.enum(LOG_FORMATS),
  }),
  historyRetention: setting({
    env: "UPNEXT_HISTORY_RETENTION",
    description:
      "Finished jobs created and finished longer ago than this are deleted from the history (in batches), with their events and artifacts; jobs not finished yet are kept; pending artifacts orphaned past it are removed.",
    default: "30d",
    schema: durationMs.pipe(z.number().min(60_000)),
  }),
  retentionInterval: setting({
    env: "UPNEXT_RETENTION_INTERVAL",
    description: "How often the server runs the retention sweep.",
    default: "10m",
    schema: durationMs.pipe(z.number().min(1_000)),
  }),
  artifactStorage: setting({
    env: "UPNEXT_ARTIFACT_STORAGE",
    description:
      "Where the server stores artifact contents: `local` (files under UPNEXT_ARTIFACTS_DIR) or `s3` (an S3-compatible bucket, UPNEXT_ARTIFACT_S3_*; credentials and region from the standard AWS_* variables). Replicas sharing artifacts need `s3`.",
    default: "local",
    schema: z.enum(ARTIFACT_STORAGES),
    fatal: true,
  }),
  artifactsDir: setting({
    env: "UPNEXT_ARTIFACTS_DIR",
    description: "Directory where the server stores artifact contents (UPNEXT_ARTIFACT_STORAGE=local).",
    default: "./upnext-artifacts",
    schema: z.string().min(1),
  }),
  artifactS3Bucket: setting({
    env: "UPNEXT_ARTIFACT_S3_BUCKET",
    description: "The bucket of UPNEXT_ARTIFACT_STORAGE=s3, which then must be set; empty otherwise.",
    default: "",
    schema: z.string(),
    fatal: true,
  }),
  artifactS3Prefix: setting({
    env: "UPNEXT_ARTIFACT_S3_PREFIX",
    description: "Prepended to every artifact's object key in the bucket, e.g. `upnext/`.",
    default: "artifacts/",
    schema: z.string(),
  }),
  artifactS3Endpoint: setting({
    env: "UPNEXT_ARTIFACT_S3_ENDPOINT",
    description:
      "An S3-compatible endpoint (MinIO, R2, ...) as an http(s) URL; such servers are addressed path-style (endpoint/bucket/key). Empty: AWS S3 in AWS_REGION.",
    default: "",
    schema: z.union([z.literal(""), httpUrl]),
    fatal: true,
  }),
  artifactMaxSize: setting({
    env: "UPNEXT_ARTIFACT_MAX_SIZE",
    description: "Largest artifact the server accepts; a bigger upload is refused with 413.",
    default: "2GB",
    schema: bytes,
  }),
  apiRateLimit: setting({
    env: "UPNEXT_API_RATE_LIMIT",
    description:
      "Requests one client (its token's name and its address, the real one behind a trusted proxy) may make to /api/v1, shared by every server replica through Redis. Over it: 429 with Retry-After.",
    default: "1200/m",
    schema: rate,
  }),
  sseMaxConnections: setting({
    env: "UPNEXT_SSE_MAX_CONNECTIONS",
    description: "Most live (SSE) connections one server process holds.",
    default: "1000",
    schema: integer(1, 1_000_000),
  }),
  sseMaxPerClient: setting({
    env: "UPNEXT_SSE_MAX_PER_CLIENT",
    description:
      "Most live (SSE) connections one client (its token's name and its address, as for the rate limit) holds at once.",
    default: "20",
    schema: integer(1, 100_000),
  }),
  ingestStart: setting({
    env: "UPNEXT_INGEST_START",
    description:
      "Where a server's first start reads the status stream from: `$` (only what arrives from now on) or a stream id such as `0` or `1732800000000-0`. Later starts resume where the consumer group left off.",
    default: "$",
    schema: z.string().regex(/^(\$|\d+(-\d+)?)$/, "expected $ or a stream id such as 1732800000000-0"),
  }),
  ingestBatch: setting({
    env: "UPNEXT_INGEST_BATCH",
    description: "Most status events the server applies in one transaction.",
    default: "1000",
    schema: integer(1, 100_000),
  }),
  ingestMaxAttempts: setting({
    env: "UPNEXT_INGEST_MAX_ATTEMPTS",
    description:
      "An event whose processing fails this many times is moved to the ingest dead-letter stream instead of being retried again.",
    default: "5",
    schema: integer(1, 1_000),
  }),
  invalidEventAlertThreshold: setting({
    env: "UPNEXT_INVALID_EVENT_ALERT_THRESHOLD",
    description:
      "Invalid (dead-lettered) status events per minute above which the server fires the `invalid_events` alert.",
    default: "10",
    schema: integer(1),
  }),
  alertWebhookUrl: setting({
    env: "UPNEXT_ALERT_WEBHOOK_URL",
    description:
      "URL the server POSTs alerts to (JSON; Slack-compatible `text` included). Empty: alerts are only logged.",
    default: "",
    schema: z.union([z.literal(""), httpUrl]),
  }),
  alertRules: setting({
    env: "UPNEXT_ALERT_RULES",
    description:
      "Alert rules the server evaluates, comma-separated: `invalid_events`, `failure_rate`, `dead_letter_growth`, `stuck_jobs`, `queue_wait`; `none` turns alerting off.",
    default: ALERT_RULES.join(","),
    schema: alertRuleList,
  }),
  alertInterval: setting({
    env: "UPNEXT_ALERT_INTERVAL",
    description: "How often the server evaluates its alert rules.",
    default: "30s",
    schema: durationMs.pipe(z.number().min(1_000)),
  }),
  alertWindow: setting({
    env: "UPNEXT_ALERT_WINDOW",
    description:
      "The window of `failure_rate`, `queue_wait` (the hourly rollups it overlaps) and `dead_letter_growth` (exact).",
    default: "1h",
    schema: durationMs.pipe(z.number().min(60_000)),
  }),
  alertFailureRate: setting({
    env: "UPNEXT_ALERT_FAILURE_RATE",
    description:
      "`failure_rate` fires for a function whose failed / (complete + failed) over the window is above this fraction.",
    default: "0.2",
    schema: fraction,
  }),
  alertFailureMinJobs: setting({
    env: "UPNEXT_ALERT_FAILURE_MIN_JOBS",
    description: "`failure_rate` ignores a function with fewer finished jobs than this in the window.",
    default: "10",
    schema: integer(1),
  }),
  alertDeadLetterGrowth: setting({
    env: "UPNEXT_ALERT_DEAD_LETTER_GROWTH",
    description:
      "`dead_letter_growth` fires for a function with more jobs dead-lettered than this within the window.",
    default: "10",
    schema: integer(0),
  }),
  alertQueueWait: setting({
    env: "UPNEXT_ALERT_QUEUE_WAIT",
    description:
      "`queue_wait` fires for a function whose average queue wait (submit or due time to start) over the window is above this.",
    default: "5m",
    schema: durationMs.pipe(z.number().min(1)),
  }),
  alertStuckGrace: setting({
    env: "UPNEXT_ALERT_STUCK_GRACE",
    description: "`stuck_jobs` fires for a function with jobs active longer than its timeout plus this.",
    default: "1m",
    schema: durationMs,
  }),
  alertRulesFile: setting({
    env: "UPNEXT_ALERT_RULES_FILE",
    description:
      "A JSON file of per-rule and per-function thresholds that override the variables above (docs/server.md#alerts). Empty: none.",
    default: "",
    schema: z.string(),
  }),
} as const;
