/** Every job event as it arrives on the live stream, newest first (the feed LiveCacheSync keeps). */
import { Link } from "@tanstack/react-router";
import { useMemo, useState, useSyncExternalStore } from "react";
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
  const all = useFeed(paused);
  const functions = useMemo(() => [...new Set(all.map((entry) => entry.event.function))].sort(), [all]);
  const entries = useMemo(
    () => (fn === "" ? all : all.filter((entry) => entry.event.function === fn)),
    [all, fn],
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
