import { describe, expect, it } from "vitest";
import {
  type Config,
  ConfigError,
  type ConfigWarning,
  configSchema,
  describeConfig,
  loadConfig,
} from "../src/index.js";
import { catchError } from "./catch-error.js";

function load(env: Record<string, string | undefined>): { config: Config; warnings: ConfigWarning[] } {
  const warnings: ConfigWarning[] = [];
  const config = loadConfig(env, (warning) => warnings.push(warning));
  return { config, warnings };
}

const DEFAULTS: Config = {
  redisUrl: "redis://127.0.0.1:6379",
  namespace: "upnext",
  logLevel: "info",
  concurrency: 10,
  prefetch: 50,
  leaseDuration: 30_000,
  maxDeliveries: 3,
  shutdownTimeout: 30_000,
  defaultTimeout: 1_800_000,
  jobRetention: 86_400_000,
  idempotencyTtl: 86_400_000,
  deadLetterRetention: 604_800_000,
  promoteInterval: 250,
  heartbeatInterval: 10_000,
  maxPayloadSize: 1_000_000,
  statusBufferSize: 10_000,
  statusBufferBytes: 64_000_000,
  statusOverflow: "block",
  statusStreamMaxLen: 100_000,
  statusFlushBatch: 500,
  progressMinDelta: 0.01,
  progressMinInterval: 200,
  claimsCacheMaxAge: 3_600_000,
  claimsCacheSweepEvery: 10_000,
  consumerIdleTimeout: 3_600_000,
  housekeepingInterval: 300_000,
  cronInterval: 1_000,
  cronMissedGrace: 5_000,
  workerHttpPort: null,
  workerHttpToken: "",
  priorityStep: 60_000,
  databaseUrl: "sqlite:./upnext.db",
  serverHost: "127.0.0.1",
  serverPort: 8080,
  serverUrl: "http://127.0.0.1:8080",
  apiToken: "",
  apiTokens: [],
  trustProxy: false,
  corsOrigins: [],
  logFormat: "auto",
  historyRetention: 2_592_000_000,
  retentionInterval: 600_000,
  artifactStorage: "local",
  artifactsDir: "./upnext-artifacts",
  artifactS3Bucket: "",
  artifactS3Prefix: "artifacts/",
  artifactS3Endpoint: "",
  artifactMaxSize: 2_000_000_000,
  apiRateLimit: { limit: 1200, windowMs: 60_000 },
  sseMaxConnections: 1000,
  sseMaxPerClient: 20,
  ingestStart: "$",
  ingestBatch: 1000,
  ingestMaxAttempts: 5,
  invalidEventAlertThreshold: 10,
  alertWebhookUrl: "",
  alertRules: ["invalid_events", "failure_rate", "dead_letter_growth", "stuck_jobs", "queue_wait"],
  alertInterval: 30_000,
  alertWindow: 3_600_000,
  alertFailureRate: 0.2,
  alertFailureMinJobs: 10,
  alertDeadLetterGrowth: 10,
  alertQueueWait: 300_000,
  alertStuckGrace: 60_000,
  alertRulesFile: "",
};

describe("loadConfig", () => {
  it("uses the documented defaults when nothing is set, without warnings", () => {
    const { config, warnings } = load({});
    expect(config).toEqual(DEFAULTS);
    expect(warnings).toEqual([]);
  });

  it("reads the alert rule list, `none` as no rules, and refuses an unknown rule", () => {
    expect(load({ UPNEXT_ALERT_RULES: "stuck_jobs, queue_wait" }).config.alertRules).toEqual([
      "stuck_jobs",
      "queue_wait",
    ]);
    expect(load({ UPNEXT_ALERT_RULES: "none" }).config.alertRules).toEqual([]);
    const { config, warnings } = load({ UPNEXT_ALERT_RULES: "failure_rate,latency" });
    expect(config.alertRules).toEqual(DEFAULTS.alertRules);
    expect(warnings[0]?.message).toMatch(
      /UPNEXT_ALERT_RULES="failure_rate,latency" is invalid \(unknown rule\(s\) latency/,
    );
  });

  it("treats empty and blank values as unset", () => {
    const { config, warnings } = load({ UPNEXT_CONCURRENCY: "", UPNEXT_LEASE_DURATION: "   " });
    expect(config.concurrency).toBe(10);
    expect(config.leaseDuration).toBe(30_000);
    expect(warnings).toEqual([]);
  });

  it("gives the same result for a default written out as for an unset variable", () => {
    const env = Object.fromEntries(Object.values(configSchema).map((spec) => [spec.env, spec.default]));
    const { config, warnings } = load(env);
    expect(config).toEqual(DEFAULTS);
    expect(warnings).toEqual([]);
  });

  it("parses valid values: durations to milliseconds, whole numbers, fractions, enums and URLs", () => {
    const { config, warnings } = load({
      UPNEXT_REDIS_URL: "rediss://user:secret@redis.internal:6380/2",
      UPNEXT_NAMESPACE: "billing:prod",
      UPNEXT_LOG_LEVEL: "debug",
      UPNEXT_CONCURRENCY: "25",
      UPNEXT_PREFETCH: "0",
      UPNEXT_LEASE_DURATION: "1m30s",
      UPNEXT_SHUTDOWN_TIMEOUT: "5000",
      UPNEXT_JOB_RETENTION: "2d",
      UPNEXT_PROMOTE_INTERVAL: "100ms",
      UPNEXT_STATUS_OVERFLOW: "spill",
      UPNEXT_PROGRESS_MIN_DELTA: "0.05",
      UPNEXT_STATUS_STREAM_MAXLEN: " 250000 ",
      UPNEXT_WORKER_HTTP_PORT: "9464",
    });
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      ...DEFAULTS,
      redisUrl: "rediss://user:secret@redis.internal:6380/2",
      namespace: "billing:prod",
      logLevel: "debug",
      concurrency: 25,
      prefetch: 0,
      leaseDuration: 90_000,
      shutdownTimeout: 5_000,
      jobRetention: 172_800_000,
      promoteInterval: 100,
      statusOverflow: "spill",
      progressMinDelta: 0.05,
      statusStreamMaxLen: 250_000,
      workerHttpPort: 9464,
    });
  });

  it.each([
    ["UPNEXT_CONCURRENCY", "lots", "concurrency", "10"],
    ["UPNEXT_CONCURRENCY", "0", "concurrency", "10"],
    ["UPNEXT_CONCURRENCY", "2.5", "concurrency", "10"],
    ["UPNEXT_CONCURRENCY", "10001", "concurrency", "10"],
    ["UPNEXT_PREFETCH", "-1", "prefetch", "50"],
    ["UPNEXT_LEASE_DURATION", "soon", "leaseDuration", "30s"],
    ["UPNEXT_LEASE_DURATION", "500ms", "leaseDuration", "30s"],
    ["UPNEXT_MAX_DELIVERIES", "0", "maxDeliveries", "3"],
    ["UPNEXT_LOG_LEVEL", "verbose", "logLevel", "info"],
    ["UPNEXT_LOG_LEVEL", "INFO", "logLevel", "info"],
    ["UPNEXT_STATUS_OVERFLOW", "drop", "statusOverflow", "block"],
    ["UPNEXT_PROGRESS_MIN_DELTA", "1.5", "progressMinDelta", "0.01"],
    ["UPNEXT_PROGRESS_MIN_DELTA", "half", "progressMinDelta", "0.01"],
    ["UPNEXT_PROMOTE_INTERVAL", "1ms", "promoteInterval", "250ms"],
    ["UPNEXT_STATUS_STREAM_MAXLEN", "99", "statusStreamMaxLen", "100000"],
    ["UPNEXT_WORKER_HTTP_PORT", "http", "workerHttpPort", ""],
    ["UPNEXT_WORKER_HTTP_PORT", "70000", "workerHttpPort", ""],
  ] as const)("warns about %s=%j and uses the default", (variable, value, key, defaultText) => {
    const { config, warnings } = load({ [variable]: value });
    expect(config[key]).toEqual(DEFAULTS[key]);
    expect(warnings).toHaveLength(1);
    const [warning] = warnings;
    expect(warning).toMatchObject({ variable, value, defaultUsed: defaultText });
    expect(warning?.problem).not.toBe("");
    expect(warning?.message).toContain(variable);
    expect(warning?.message).toContain(JSON.stringify(value));
    expect(warning?.message).toContain(`default ${defaultText}`);
  });

  it("reports every invalid value, not just the first", () => {
    const { config, warnings } = load({
      UPNEXT_CONCURRENCY: "x",
      UPNEXT_LOG_LEVEL: "loud",
      UPNEXT_PREFETCH: "5",
    });
    expect(warnings.map((warning) => warning.variable).sort()).toEqual([
      "UPNEXT_CONCURRENCY",
      "UPNEXT_LOG_LEVEL",
    ]);
    expect(config.prefetch).toBe(5);
  });

  it.each([
    ["UPNEXT_REDIS_URL", "localhost:6379"],
    ["UPNEXT_REDIS_URL", "http://127.0.0.1:6379"],
    ["UPNEXT_REDIS_URL", "redis://"],
    ["UPNEXT_NAMESPACE", "my app"],
    ["UPNEXT_NAMESPACE", "{upnext}"],
    ["UPNEXT_NAMESPACE", "-upnext"],
  ])("stops on the invalid value %s=%j, naming the variable", (variable, value) => {
    const warnings: ConfigWarning[] = [];
    const error = catchError(ConfigError, () => loadConfig({ [variable]: value }, (w) => warnings.push(w)));
    expect(error.variable).toBe(variable);
    expect(error.value).toBe(value);
    expect(error.code).toBe("invalid_config");
    expect(error.message).toContain(variable);
    expect(error.message).toContain(JSON.stringify(value));
    // A fatal value must not also be reported as a fallback: nothing falls back.
    expect(warnings).toEqual([]);
  });

  it("warns about unknown UPNEXT_* variables, usually typos", () => {
    const { config, warnings } = load({ UPNEXT_FOO: "bar", UPNEXT_CONCURENCY: "20" });
    expect(config).toEqual(DEFAULTS);
    expect(warnings.map((warning) => warning.variable).sort()).toEqual(["UPNEXT_CONCURENCY", "UPNEXT_FOO"]);
    const foo = warnings.find((warning) => warning.variable === "UPNEXT_FOO");
    expect(foo).toMatchObject({ value: "bar", problem: "unknown setting" });
    expect(foo?.message).toContain("UPNEXT_FOO");
    expect(foo?.defaultUsed).toBeUndefined();
  });

  it("ignores other variables and the UPNEXT_* ones other parts read", () => {
    const { warnings } = load({
      PATH: "/usr/bin",
      REDIS_URL: "redis://elsewhere:6379",
      upnext_concurrency: "5",
      UPNEXT_DATABASE_URL: "postgres://localhost/upnext",
      UPNEXT_SERVER_PORT: "8080",
      UPNEXT_EXAMPLE_RATE: "5",
    });
    expect(warnings).toEqual([]);
  });
});

describe("describeConfig", () => {
  it("lists every setting once, with its raw default", () => {
    const rows = describeConfig();
    expect(rows.map((row) => row.env)).toEqual(Object.values(configSchema).map((spec) => spec.env));
    expect(new Set(rows.map((row) => row.env)).size).toBe(rows.length);
    for (const row of rows) {
      expect(row.env).toMatch(/^UPNEXT_[A-Z0-9_]+$/);
      expect(row.description.length).toBeGreaterThan(10);
      // Only settings that are off by default may have an empty default.
      if (row.default === "") expect(row.description).toMatch(/when set|empty/i);
    }
    expect(rows.find((row) => row.env === "UPNEXT_LEASE_DURATION")?.default).toBe("30s");
  });

  it("marks exactly where to connect, where to listen, the namespace, the API tokens and the trusted proxies as fatal", () => {
    const fatal = describeConfig()
      .filter((row) => row.fatal)
      .map((row) => row.env);
    expect(fatal).toEqual([
      "UPNEXT_REDIS_URL",
      "UPNEXT_NAMESPACE",
      "UPNEXT_WORKER_HTTP_TOKEN",
      "UPNEXT_DATABASE_URL",
      "UPNEXT_SERVER_HOST",
      "UPNEXT_SERVER_PORT",
      "UPNEXT_API_TOKEN",
      "UPNEXT_API_TOKENS",
      "UPNEXT_TRUST_PROXY",
      "UPNEXT_ARTIFACT_STORAGE",
      "UPNEXT_ARTIFACT_S3_BUCKET",
      "UPNEXT_ARTIFACT_S3_ENDPOINT",
    ]);
  });
});

describe("API tokens and trusted proxies", () => {
  it("reads named tokens with their scopes, and names a bad entry by position without its secret", () => {
    const config = load({
      UPNEXT_API_TOKENS: "ops:admin:0123456789abcdef, dash:read:fedcba9876543210",
    }).config;
    expect(config.apiTokens).toEqual([
      { name: "ops", scope: "admin", token: "0123456789abcdef" },
      { name: "dash", scope: "read", token: "fedcba9876543210" },
    ]);
    const cases: [string, RegExp][] = [
      ["ops:write:0123456789abcdef", /entry 1 has the scope "write": use read or admin/],
      ["ops:admin:short", /entry 1 has a token shorter than 16/],
      ["ops:admin:0123456789abcdef,ops:read:0123456789abcdeg", /entry 2 repeats the name "ops"/],
      ["just-a-token-0123456789", /entry 1 is not name:scope:token/],
    ];
    for (const [value, message] of cases) {
      let thrown: unknown;
      try {
        load({ UPNEXT_API_TOKENS: value });
      } catch (error) {
        thrown = error;
      }
      expect(String(thrown)).toMatch(message);
      expect(String(thrown)).not.toContain("0123456789abcde");
    }
  });

  it("reads the trusted proxies as off, any, a hop count or addresses", () => {
    expect(load({}).config.trustProxy).toBe(false);
    expect(load({ UPNEXT_TRUST_PROXY: "true" }).config.trustProxy).toBe(true);
    expect(load({ UPNEXT_TRUST_PROXY: "2" }).config.trustProxy).toBe(2);
    expect(load({ UPNEXT_TRUST_PROXY: "10.0.0.0/8, loopback" }).config.trustProxy).toEqual([
      "10.0.0.0/8",
      "loopback",
    ]);
    expect(() => load({ UPNEXT_TRUST_PROXY: "proxy.internal" }).config).toThrow(
      /not an address or CIDR range/,
    );
  });
});
