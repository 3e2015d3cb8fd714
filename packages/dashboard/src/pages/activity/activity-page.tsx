/**
 * Every job event as it arrives on the live stream, newest first (the feed LiveCacheSync keeps),
 * filtered by function and event type. Progress and log events are hidden until asked for: a
 * busy job sends hundreds of them and they would bury everything else.
 */
import { Link } from "@tanstack/react-router";
import type { JobEventType } from "@upnext/core";
import { useMemo, useState, useSyncExternalStore } from "react";
import { useFunctions } from "../../api/queries.js";
import { useTranslation } from "react-i18next";
import { Button } from "../../components/button.js";
import { PageHeader } from "../../components/page-header.js";
import { Panel } from "../../components/panel.js";
import { StatusBadge } from "../../components/status-badge.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import type { ActivityEntry } from "../../live/activity-feed.js";
import { useLive } from "../../live/live-context.js";
import { statusOfEvent } from "../../live/live-job-state.js";

const EMPTY: readonly ActivityEntry[] = [];
/** Hidden unless asked for (a type picked, or the box ticked). */
const CHATTY_TYPES: ReadonlySet<string> = new Set(["progress", "log"]);
/** Every job event type, for the type filter: a record over core's union, so none is forgotten. */
const EVENT_TYPE_NAMES: Record<JobEventType, true> = {
  queued: true,
  scheduled: true,
  waiting: true,
  started: true,
  progress: true,
  checkpoint: true,
  log: true,
  metric: true,
  retrying: true,
  completed: true,
  failed: true,
  cancelled: true,
  "dead-lettered": true,
};
const EVENT_TYPES = Object.keys(EVENT_TYPE_NAMES) as JobEventType[];
const noop = () => () => undefined;

function useFeed(paused: boolean): readonly ActivityEntry[] {
  const { sync } = useLive();
  const live = useSyncExternalStore(sync?.feed.subscribe ?? noop, sync?.feed.snapshot ?? (() => EMPTY));
  const [frozen, setFrozen] = useState<readonly ActivityEntry[] | undefined>();
  if (paused && frozen === undefined) setFrozen(live);
  if (!paused && frozen !== undefined) setFrozen(undefined);
  return paused ? (frozen ?? live) : live;
}

export function ActivityPage() {
  const { t } = useTranslation();
  const format = useFormatters();
  const [paused, setPaused] = useState(false);
  const [fn, setFn] = useState("");
  const [type, setType] = useState("");
  const [showChatty, setShowChatty] = useState(false);
  const all = useFeed(paused);
  const registered = useFunctions().data.items;
  // Every known function, and any the feed shows that the registry does not (yet).
  const functions = useMemo(
    () =>
      [
        ...new Set([...registered.map((item) => item.name), ...all.map((entry) => entry.event.function)]),
      ].sort(),
    [registered, all],
  );
  const entries = useMemo(
    () =>
      all.filter(
        ({ event }) =>
          (fn === "" || event.function === fn) &&
          (type === "" ? showChatty || !CHATTY_TYPES.has(event.type) : event.type === type),
      ),
    [all, fn, type, showChatty],
  );
  return (
    <>
      <PageHeader
        title={t("activity.title")}
        actions={
          <>
            <label className="flex items-center gap-2 text-sm text-muted">
              {t("jobs.function")}
              <select
                value={fn}
                onChange={(event) => {
                  setFn(event.target.value);
                }}
                className="rounded-md border border-line bg-panel px-2 py-1.5 text-sm text-fg"
              >
                <option value="">{t("common.all")}</option>
                {functions.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
            <label className="flex items-center gap-2 text-sm text-muted">
              {t("activity.eventType")}
              <select
                value={type}
                onChange={(event) => {
                  setType(event.target.value);
                }}
                className="rounded-md border border-line bg-panel px-2 py-1.5 text-sm text-fg"
              >
                <option value="">{t("common.all")}</option>
                {EVENT_TYPES.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
            <label className="flex items-center gap-2 text-sm text-muted">
              <input
                type="checkbox"
                checked={showChatty}
                onChange={(event) => {
                  setShowChatty(event.target.checked);
                }}
              />
              {t("activity.showChatty")}
            </label>
            <Button
              aria-pressed={paused}
              onClick={() => {
                setPaused(!paused);
              }}
            >
              {paused ? t("activity.resume") : t("activity.pause")}
            </Button>
          </>
        }
      >
        <p className="text-sm text-muted">{t("activity.description")}</p>
      </PageHeader>
      <Panel title={t("activity.feed")} bodyClassName="">
        {entries.length === 0 ? (
          <p className="p-4 text-sm text-muted">{t("activity.empty")}</p>
        ) : (
          <ol className="divide-y divide-line text-sm" aria-label={t("activity.feed")}>
            {entries.map(({ streamId, event }) => {
              const status = statusOfEvent(event);
              const percent = event.type === "progress" ? format.percent(event.data.progress) : "";
              return (
                <li key={streamId} className="flex flex-wrap items-center gap-3 px-4 py-2">
                  <time
                    dateTime={new Date(event.at).toISOString()}
                    className="w-24 shrink-0 font-mono text-xs text-muted"
                  >
                    {format.time(new Date(event.at).toISOString())}
                  </time>
                  <span className="w-32 shrink-0">
                    {status === undefined ? null : <StatusBadge status={status} />}
                  </span>
                  <Link
                    to="/jobs/$jobId"
                    params={{ jobId: event.jobId }}
                    className="font-medium text-accent-text hover:underline"
                  >
                    {event.function}
                  </Link>
                  <span className="text-fg">{t(`activity.event.${event.type}`, { percent })}</span>
                  <span className="ml-auto font-mono text-xs text-muted">{event.jobId}</span>
                </li>
              );
            })}
          </ol>
        )}
      </Panel>
    </>
  );
}
