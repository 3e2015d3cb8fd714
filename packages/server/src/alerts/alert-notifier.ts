/**
 * What an alert says and where it goes: one JSON body per firing or resolution, POSTed to
 * UPNEXT_ALERT_WEBHOOK_URL. The body carries the structured fields and a Slack-compatible `text`
 * (Slack's incoming webhooks show `text`; other receivers read the fields).
 */
import { formatDuration } from "@upnext/core";
import type { Observation } from "./alert-rules.js";
import type { AlertRuleName } from "./alert-settings.js";

/** Longest wait for the webhook receiver to answer. */
export const WEBHOOK_TIMEOUT_MS = 5_000;

export type AlertStatus = "firing" | "resolved";

export interface AlertNotice {
  readonly status: AlertStatus;
  readonly rule: AlertRuleName;
  /** The function, or null for a namespace-wide rule (invalid_events). */
  readonly function: string | null;
  readonly value: number;
  readonly threshold: number;
  /** The span the value covers, e.g. "1h". */
  readonly window: string;
  readonly windowMs: number;
  readonly namespace: string;
  /** When this notice was sent, ISO-8601 UTC. */
  readonly at: string;
  /** When the alert started firing, ISO-8601 UTC. */
  readonly firedAt: string;
  /** The dashboard page of the function (or the overview). */
  readonly link: string;
  readonly text: string;
}

export interface NoticeContext {
  readonly namespace: string;
  readonly dashboardUrl: string;
  readonly now: number;
  readonly firedAt: number;
}

export function buildNotice(
  status: AlertStatus,
  observation: Observation,
  context: NoticeContext,
): AlertNotice {
  const link = dashboardLink(context.dashboardUrl, observation.function);
  const headline =
    status === "firing"
      ? `:rotating_light: [${context.namespace}] ${observation.rule} is firing`
      : `:white_check_mark: [${context.namespace}] ${observation.rule} resolved`;
  return {
    status,
    rule: observation.rule,
    function: observation.function,
    value: observation.value,
    threshold: observation.threshold,
    window: span(observation.windowMs),
    windowMs: observation.windowMs,
    namespace: context.namespace,
    at: new Date(context.now).toISOString(),
    firedAt: new Date(context.firedAt).toISOString(),
    link,
    text: `${headline}: ${describe(observation)} <${link}|Open in the dashboard>`,
  };
}

/** Throws when the receiver does not answer 2xx within WEBHOOK_TIMEOUT_MS. */
export async function postWebhook(url: string, notice: AlertNotice): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(notice),
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  });
  // The body is not needed; reading it frees the connection.
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`the alert webhook answered ${response.status} ${response.statusText}`);
}

function dashboardLink(base: string, fn: string | null): string {
  const root = base.endsWith("/") ? base.slice(0, -1) : base;
  return fn === null ? `${root}/` : `${root}/functions/${encodeURIComponent(fn)}`;
}

/** A span for people: whole minutes from a minute up, whole seconds below ("90m", "45s"). */
function span(ms: number): string {
  const unit = ms >= 60_000 ? 60_000 : 1_000;
  return formatDuration(Math.max(unit, Math.round(ms / unit) * unit));
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1).replace(/\.0$/, "")}%`;
}

/** One sentence of what was measured, for people. */
function describe({ rule, function: fn, value, threshold, windowMs }: Observation): string {
  const window = span(windowMs);
  switch (rule) {
    case "invalid_events":
      return `${value} invalid status events in the last ${window} (threshold ${threshold}).`;
    case "failure_rate":
      return `${percent(value)} of ${fn ?? "?"} jobs failed over the last ${window} (threshold ${percent(threshold)}).`;
    case "dead_letter_growth":
      return `${value} ${fn ?? "?"} jobs were dead-lettered in the last ${window} (threshold ${threshold}).`;
    case "stuck_jobs":
      return `${value} ${fn ?? "?"} jobs have been active for more than ${window} (their timeout plus grace).`;
    case "queue_wait":
      return `${fn ?? "?"} jobs waited ${span(value)} on average before starting over the last ${window} (threshold ${span(threshold)}).`;
  }
}
