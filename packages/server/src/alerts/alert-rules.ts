/**
 * The alert rules: each reads what it needs (the rollups, the history, Redis) and reports one
 * observation per subject (a function, or the whole namespace), firing or not. Values and
 * thresholds, per rule:
 *
 * - invalid_events: entries dead-lettered as invalid (bad JSON, no field, failing the schema) in
 *   the last minute, across every replica (read from the dead-letter stream).
 * - failure_rate: failed / (complete + failed) of a function over the hourly rollups the window
 *   overlaps, for functions with at least failureMinJobs finished jobs there.
 * - dead_letter_growth: jobs of a function that entered its dead-letter set within the window.
 * - stuck_jobs: jobs of a function still `active` in the history longer than the function's
 *   timeout (from its registry record) plus the grace.
 * - queue_wait: a function's average queue wait over the rollups the window overlaps, in ms.
 */
import { functionKeys, isValidName } from "@upnext/core";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { INVALID_REASONS } from "../ingest/entry-decoder.js";
import { ROLLUP_BUCKET_MS } from "../store/schema.js";
import type { AlertRuleName, AlertSettings } from "./alert-settings.js";
import { thresholdFor } from "./alert-settings.js";

export const INVALID_EVENTS_WINDOW_MS = 60_000;
/** Most dead-letter entries read to count the invalid ones of the last minute. */
const INVALID_EVENTS_SCAN_MAX = 10_000;

export interface Observation {
  readonly rule: AlertRuleName;
  /** null for namespace-wide rules. */
  readonly function: string | null;
  readonly value: number;
  readonly threshold: number;
  readonly firing: boolean;
  /** The span the value covers, ms. */
  readonly windowMs: number;
}

export interface RuleContext {
  readonly deps: ServerDependencies;
  readonly settings: AlertSettings;
  readonly now: number;
}

type Rule = (context: RuleContext) => Promise<Observation[]>;

export const RULES: Readonly<Record<AlertRuleName, Rule>> = {
  invalid_events: invalidEvents,
  failure_rate: failureRate,
  dead_letter_growth: deadLetterGrowth,
  stuck_jobs: stuckJobs,
  queue_wait: queueWait,
};

async function invalidEvents({ deps, settings, now }: RuleContext): Promise<Observation[]> {
  const entries = await deps.withRedis((redis) =>
    redis.xrevrange(
      deps.keys.eventsDeadLetter,
      "+",
      String(now - INVALID_EVENTS_WINDOW_MS),
      "COUNT",
      INVALID_EVENTS_SCAN_MAX,
    ),
  );
  const invalid = new Set<string>(INVALID_REASONS);
  const value = entries.filter(([, fields]) =>
    invalid.has(fields[fields.indexOf("reason") + 1] ?? ""),
  ).length;
  const threshold = settings.thresholds.invalid_events.threshold;
  return [
    {
      rule: "invalid_events",
      function: null,
      value,
      threshold,
      firing: value > threshold,
      windowMs: INVALID_EVENTS_WINDOW_MS,
    },
  ];
}

/** Rollup sums per function since the first hourly bucket the window overlaps. */
async function rollupSums(
  { deps, settings, now }: RuleContext,
  outcomes: readonly ("complete" | "failed" | "started")[],
): Promise<{ windowMs: number; rows: { function: string; outcome: string; count: number; wait: number }[] }> {
  const since = Math.floor((now - settings.windowMs) / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS;
  const rows = await deps.withDatabase((db) =>
    db
      .selectFrom("job_rollups")
      .select((eb) => [
        "function",
        "outcome",
        eb.fn.sum<number>("count").as("count"),
        eb.fn.sum<number>("queue_wait_ms_total").as("wait"),
      ])
      .where("bucket", ">=", since)
      .where("outcome", "in", outcomes)
      .groupBy(["function", "outcome"])
      .execute(),
  );
  return {
    windowMs: now - since,
    rows,
  };
}

async function failureRate(context: RuleContext): Promise<Observation[]> {
  const { windowMs, rows } = await rollupSums(context, ["complete", "failed"]);
  const totals = new Map<string, { complete: number; failed: number }>();
  for (const row of rows) {
    const total = totals.get(row.function) ?? { complete: 0, failed: 0 };
    if (row.outcome === "complete") total.complete += row.count;
    else total.failed += row.count;
    totals.set(row.function, total);
  }
  const out: Observation[] = [];
  for (const [fn, { complete, failed }] of totals) {
    const threshold = thresholdFor(context.settings.thresholds.failure_rate, fn);
    const finished = complete + failed;
    if (threshold === undefined || finished < context.settings.failureMinJobs) continue;
    const value = failed / finished;
    out.push({ rule: "failure_rate", function: fn, value, threshold, firing: value > threshold, windowMs });
  }
  return out;
}

async function queueWait(context: RuleContext): Promise<Observation[]> {
  const { windowMs, rows } = await rollupSums(context, ["started"]);
  const out: Observation[] = [];
  for (const row of rows) {
    const threshold = thresholdFor(context.settings.thresholds.queue_wait, row.function);
    if (threshold === undefined || row.count === 0) continue;
    const value = row.wait / row.count;
    out.push({
      rule: "queue_wait",
      function: row.function,
      value,
      threshold,
      firing: value > threshold,
      windowMs,
    });
  }
  return out;
}

/** Every function the namespace knows, with a name safe to build keys from. */
async function knownFunctions({ deps }: RuleContext): Promise<string[]> {
  const names = await deps.withRedis((redis) => redis.smembers(deps.keys.functions));
  return names.filter(isValidName).sort();
}

async function deadLetterGrowth(context: RuleContext): Promise<Observation[]> {
  const { deps, settings, now } = context;
  const functions = await knownFunctions(context);
  if (functions.length === 0) return [];
  const counts = await deps.withRedis(async (redis) => {
    const pipeline = redis.pipeline();
    for (const fn of functions) {
      pipeline.zcount(functionKeys(deps.namespace, fn).deadLetter, now - settings.windowMs, "+inf");
    }
    return (await pipeline.exec()) ?? [];
  });
  const out: Observation[] = [];
  functions.forEach((fn, index) => {
    const [error, count] = counts[index] ?? [null, 0];
    const threshold = thresholdFor(settings.thresholds.dead_letter_growth, fn);
    if (error !== null || threshold === undefined) return;
    const value = Number(count);
    out.push({
      rule: "dead_letter_growth",
      function: fn,
      value,
      threshold,
      firing: value > threshold,
      windowMs: settings.windowMs,
    });
  });
  return out;
}

async function stuckJobs(context: RuleContext): Promise<Observation[]> {
  const { deps, settings, now } = context;
  const functions = await knownFunctions(context);
  if (functions.length === 0) return [];
  const records = await deps.withRedis(async (redis) => {
    const pipeline = redis.pipeline();
    for (const fn of functions) pipeline.hget(deps.keys.function(fn), "options");
    return (await pipeline.exec()) ?? [];
  });
  const out: Observation[] = [];
  for (const [index, fn] of functions.entries()) {
    const timeoutMs = timeoutOf(records[index]?.[1]);
    const threshold = thresholdFor(settings.thresholds.stuck_jobs, fn);
    if (timeoutMs === undefined || threshold === undefined) continue;
    const olderThan = timeoutMs + settings.stuckGraceMs;
    const row = await deps.withDatabase((db) =>
      db
        .selectFrom("jobs")
        .select((eb) => eb.fn.countAll<number>().as("count"))
        .where("function", "=", fn)
        .where("status", "=", "active")
        .where("started_at", "<", now - olderThan)
        .executeTakeFirstOrThrow(),
    );
    const value = row.count;
    out.push({
      rule: "stuck_jobs",
      function: fn,
      value,
      threshold,
      firing: value > threshold,
      windowMs: olderThan,
    });
  }
  return out;
}

/** `timeoutMs` of a function's registry record (options JSON), when it has one. */
function timeoutOf(options: unknown): number | undefined {
  if (typeof options !== "string") return undefined;
  try {
    const parsed = JSON.parse(options) as { timeoutMs?: unknown };
    return typeof parsed.timeoutMs === "number" && parsed.timeoutMs > 0 ? parsed.timeoutMs : undefined;
  } catch {
    return undefined;
  }
}
