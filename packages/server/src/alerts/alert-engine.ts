/**
 * Evaluates the alert rules on a timer and notifies on changes only: an alert fires once per
 * rule and subject (function) and stays quiet until it resolves, which is notified once too.
 * Which alerts are firing lives in one Redis hash shared by every replica, so replicas that
 * evaluate the same rules do not notify twice (HSETNX to fire, HDEL to resolve).
 */
import { type Logger, pino } from "pino";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { type ServerMetrics, createServerMetrics } from "../observability/server-metrics.js";
import { PeriodicTask } from "../lib/periodic-task.js";
import { type AlertNotice, type AlertStatus, buildNotice, postWebhook } from "./alert-notifier.js";
import { type Observation, RULES } from "./alert-rules.js";
import { type AlertRuleName, type AlertSettings, alertSettings } from "./alert-settings.js";

const ALL_RULES = Object.keys(RULES) as AlertRuleName[];

export interface AlertsOptions {
  /** Default: from the config (and UPNEXT_ALERT_RULES_FILE). */
  readonly settings?: AlertSettings;
  readonly metrics?: ServerMetrics;
  readonly logger?: Logger;
  /** Whether to evaluate on a timer (default true, every settings.intervalMs). */
  readonly timer?: boolean;
  /** The clock (tests). */
  readonly now?: () => number;
}

export interface AlertTransition {
  readonly status: AlertStatus;
  readonly notice: AlertNotice;
  /** The webhook took it (or none is configured and it was logged). */
  readonly delivered: boolean;
}

export interface Alerts {
  /** Evaluates every rule once and sends what changed. */
  runOnce(): Promise<AlertTransition[]>;
  stop(): Promise<void>;
}

interface FiringRecord {
  readonly firedAt: number;
  readonly observation: Observation;
}

function field(rule: AlertRuleName, fn: string | null): string {
  return `${rule}:${fn ?? "*"}`;
}

export function startAlerts(deps: ServerDependencies, options: AlertsOptions = {}): Alerts {
  const settings = options.settings ?? alertSettings(deps.config);
  const metrics = options.metrics ?? createServerMetrics();
  const logger = options.logger ?? pino({ level: "silent" });
  const now = options.now ?? Date.now;
  const enabled = new Set(settings.rules);

  /** Each enabled rule's observations; a rule that could not be evaluated is left out. */
  const evaluate = async (at: number): Promise<Map<AlertRuleName, Observation[]>> => {
    const results = new Map<AlertRuleName, Observation[]>();
    for (const rule of ALL_RULES) {
      if (!enabled.has(rule)) {
        results.set(rule, []);
        continue;
      }
      try {
        results.set(rule, await RULES[rule]({ deps, settings, now: at }));
      } catch (error) {
        logger.warn(
          { err: error, rule },
          "an alert rule could not be evaluated; its alerts stay as they are",
        );
      }
    }
    return results;
  };

  const notify = async (status: AlertStatus, record: FiringRecord, at: number): Promise<AlertTransition> => {
    const notice = buildNotice(status, record.observation, {
      namespace: deps.namespace,
      dashboardUrl: settings.dashboardUrl,
      now: at,
      firedAt: record.firedAt,
    });
    if (settings.webhookUrl === "") {
      const log = status === "firing" ? logger.warn.bind(logger) : logger.info.bind(logger);
      log({ alert: notice }, notice.text);
      metrics.alerts.notifications.inc({ status, result: "logged" });
      return { status, notice, delivered: true };
    }
    try {
      await postWebhook(settings.webhookUrl, notice);
      metrics.alerts.notifications.inc({ status, result: "sent" });
      logger.info({ alert: notice }, `alert ${status}: ${notice.rule} ${notice.function ?? ""}`);
      return { status, notice, delivered: true };
    } catch (error) {
      metrics.alerts.notifications.inc({ status, result: "failed" });
      logger.warn({ err: error, alert: notice }, "the alert webhook did not take the notification");
      return { status, notice, delivered: false };
    }
  };

  const runOnce = async (): Promise<AlertTransition[]> => {
    const at = now();
    const results = await evaluate(at);
    const { redis, keys } = deps;
    const stored = await deps.withRedis((client) => client.hgetall(keys.alerts));
    const transitions: AlertTransition[] = [];

    const firingNow = new Map<string, Observation>();
    for (const observations of results.values()) {
      for (const observation of observations) {
        if (observation.firing) firingNow.set(field(observation.rule, observation.function), observation);
      }
    }
    for (const [name, observation] of firingNow) {
      if (name in stored) continue;
      const record: FiringRecord = { firedAt: at, observation };
      if ((await redis.hsetnx(keys.alerts, name, JSON.stringify(record))) !== 1) continue;
      const transition = await notify("firing", record, at);
      // Not delivered: forget it, so the next evaluation fires it again.
      if (!transition.delivered) await redis.hdel(keys.alerts, name);
      transitions.push(transition);
    }
    for (const [name, json] of Object.entries(stored)) {
      const record = parseRecord(json);
      if (record === undefined) {
        await redis.hdel(keys.alerts, name);
        continue;
      }
      const { rule, function: fn } = record.observation;
      // Only a rule that was evaluated (or turned off) can say its alert is over.
      const observations = results.get(rule);
      if (observations === undefined || firingNow.has(name)) continue;
      if ((await redis.hdel(keys.alerts, name)) !== 1) continue;
      const latest = observations.find((observation) => observation.function === fn);
      transitions.push(
        await notify("resolved", { ...record, observation: latest ?? record.observation }, at),
      );
    }

    const firingByRule = new Map<AlertRuleName, number>(ALL_RULES.map((rule) => [rule, 0]));
    for (const name of Object.keys(await redis.hgetall(keys.alerts))) {
      const rule = name.slice(0, name.indexOf(":")) as AlertRuleName;
      firingByRule.set(rule, (firingByRule.get(rule) ?? 0) + 1);
    }
    for (const [rule, count] of firingByRule) metrics.alerts.firing.set({ rule }, count);
    return transitions;
  };

  const task = new PeriodicTask({
    run: runOnce,
    intervalMs: settings.intervalMs,
    onError: (error) => {
      logger.warn({ err: error }, "alert evaluation failed; it runs again at the next interval");
    },
  });
  if (options.timer !== false && enabled.size > 0) task.start();

  return {
    runOnce: () => task.runNow(),
    stop: () => task.stop(),
  };
}

function parseRecord(json: string): FiringRecord | undefined {
  try {
    const record = JSON.parse(json) as Partial<FiringRecord>;
    if (typeof record.firedAt !== "number" || typeof record.observation?.rule !== "string") return undefined;
    if (!ALL_RULES.includes(record.observation.rule)) return undefined;
    return record as FiringRecord;
  } catch {
    return undefined;
  }
}
