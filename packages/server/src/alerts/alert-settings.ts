/**
 * The alert rules' thresholds: the UPNEXT_ALERT_* settings, overridden per rule and per function
 * by an optional JSON file (UPNEXT_ALERT_RULES_FILE):
 *
 *   {
 *     "failure_rate": { "threshold": 0.1, "minJobs": 20, "functions": { "billing": 0.02, "noisy": null } },
 *     "queue_wait": { "threshold": "2m", "functions": { "nightly-report": "1h" } },
 *     "dead_letter_growth": { "threshold": 5 },
 *     "stuck_jobs": { "grace": "5m" },
 *     "invalid_events": { "threshold": 50 }
 *   }
 *
 * A function mapped to null is not alerted on by that rule.
 */
import { readFileSync } from "node:fs";
import { type Config, parseDuration } from "@upnext/core";
import { z } from "zod";

export type AlertRuleName = Config["alertRules"][number];

export interface RuleThresholds {
  /** The rule fires when the value is above this (see docs/server.md#alerts for each unit). */
  readonly threshold: number;
  /** Per-function thresholds; null: the function is exempt. */
  readonly functions: Readonly<Record<string, number | null>>;
}

export interface AlertSettings {
  readonly rules: readonly AlertRuleName[];
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly thresholds: Readonly<Record<AlertRuleName, RuleThresholds>>;
  /** failure_rate: fewest finished jobs in the window for a function to be judged. */
  readonly failureMinJobs: number;
  /** stuck_jobs: how long past its timeout an active job counts as stuck. */
  readonly stuckGraceMs: number;
  readonly webhookUrl: string;
  /** Where links in alerts point: the server that serves the dashboard. */
  readonly dashboardUrl: string;
}

export class AlertSettingsError extends Error {
  readonly code = "invalid_alert_rules";
}

const duration = z.union([
  z.number().nonnegative(),
  z.string().transform((value, ctx) => {
    try {
      return parseDuration(value, "duration");
    } catch {
      ctx.addIssue({ code: "custom", message: 'expected a duration such as "30s" or "5m"' });
      return z.NEVER;
    }
  }),
]);

function ruleSchema<T extends z.ZodType<number>>(value: T) {
  return z
    .object({ threshold: value.optional(), functions: z.record(z.string(), value.nullable()).optional() })
    .strict();
}

const fileSchema = z
  .object({
    invalid_events: ruleSchema(z.number().int().nonnegative()).optional(),
    failure_rate: ruleSchema(z.number().min(0).max(1))
      .extend({ minJobs: z.number().int().min(1).optional() })
      .optional(),
    dead_letter_growth: ruleSchema(z.number().int().nonnegative()).optional(),
    stuck_jobs: z
      .object({ grace: duration.optional(), functions: z.record(z.string(), z.null()).optional() })
      .strict()
      .optional(),
    queue_wait: ruleSchema(duration).optional(),
  })
  .strict();

type RulesFile = z.infer<typeof fileSchema>;

/** Reads the settings; a rules file that is missing or wrong stops the start with a clear error. */
export function alertSettings(config: Config, fileText?: string): AlertSettings {
  const text = fileText ?? (config.alertRulesFile === "" ? undefined : readRulesFile(config.alertRulesFile));
  const file = text === undefined ? {} : parseRulesFile(text, config.alertRulesFile);
  const rule = (
    fromFile:
      { threshold?: number | undefined; functions?: Record<string, number | null> | undefined } | undefined,
    threshold: number,
  ): RuleThresholds => ({
    threshold: fromFile?.threshold ?? threshold,
    functions: fromFile?.functions ?? {},
  });
  return {
    rules: config.alertRules,
    intervalMs: config.alertInterval,
    windowMs: config.alertWindow,
    thresholds: {
      invalid_events: rule(file.invalid_events, config.invalidEventAlertThreshold),
      failure_rate: rule(file.failure_rate, config.alertFailureRate),
      dead_letter_growth: rule(file.dead_letter_growth, config.alertDeadLetterGrowth),
      // A stuck job is one too many: the threshold is a count of 0.
      stuck_jobs: { threshold: 0, functions: file.stuck_jobs?.functions ?? {} },
      queue_wait: rule(file.queue_wait, config.alertQueueWait),
    },
    failureMinJobs: file.failure_rate?.minJobs ?? config.alertFailureMinJobs,
    stuckGraceMs: file.stuck_jobs?.grace ?? config.alertStuckGrace,
    webhookUrl: config.alertWebhookUrl,
    dashboardUrl: config.serverUrl,
  };
}

/** The threshold of a rule for one function; undefined when the function is exempt. */
export function thresholdFor(rule: RuleThresholds, fn: string | null): number | undefined {
  if (fn === null || !(fn in rule.functions)) return rule.threshold;
  return rule.functions[fn] ?? undefined;
}

function readRulesFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new AlertSettingsError(
      `UPNEXT_ALERT_RULES_FILE=${path} cannot be read (${error instanceof Error ? error.message : String(error)}); fix the path or unset it.`,
    );
  }
}

function parseRulesFile(text: string, path: string): RulesFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AlertSettingsError(
      `The alert rules file ${path} is not JSON: ${error instanceof Error ? error.message : String(error)}.`,
    );
  }
  const parsed = fileSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join(".") || "(file)"}: ${issue.message}`,
  );
  throw new AlertSettingsError(`The alert rules file ${path} is invalid: ${problems.join("; ")}.`);
}
