/**
 * The overview: a window (15 min … 7 days, `?window=` in the URL) in figures and charts
 * (throughput, failures, queue wait), queue depth of every function, workers online, and the
 * runbook panels that link to the lists behind them. Figures arrive by the dashboard and trends
 * streams; nothing polls.
 */
import type { TimeWindowName } from "@upnext/core";
import { Link, getRouteApi } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { useDashboardSummary, useQueues } from "../../api/queries.js";
import { TrendCharts } from "../../components/charts/trend-charts.js";
import { BarLegend } from "../../components/charts/bar-legend.js";
import { TimeWindowPicker } from "../../components/time-window-picker.js";
import { Tile } from "../../components/fields.js";
import { PageHeader } from "../../components/page-header.js";
import { Panel } from "../../components/panel.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import { DEFAULT_WINDOW } from "../time-window-search.js";
import { ApiTiles } from "./api-tiles.js";
import { deadLetterSearchOf, jobsSearchOf } from "./runbook-links.js";

const route = getRouteApi("/");

/** The queue-depth bar's parts, in the order they are drawn. */
const DEPTH_PARTS = [
  { key: "ready", color: "bg-info" },
  { key: "active", color: "bg-ok" },
  { key: "scheduled", color: "bg-neutral" },
] as const;

function SummaryTiles({ window }: { readonly window: TimeWindowName }) {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data } = useDashboardSummary(window);
  const hour = data.period;
  const dash = t("common.none");
  // Rates are averaged from where data begins; say so when that is inside the window.
  const rateHint =
    Date.parse(hour.rateFrom) > Date.parse(hour.window.from)
      ? t("window.ratesSince", { time: format.time(hour.rateFrom) })
      : t("window.ratesOver");
  const windowLabel = t(`window.long.${window}`);
  return (
    <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
      <Tile
        label={t("overview.submitted")}
        value={t("overview.perMinute", {
          value: format.number(Math.round(hour.submittedPerMinute * 10) / 10),
        })}
        hint={`${format.number(hour.counts.submitted)} · ${rateHint}`}
      />
      <Tile
        label={t("overview.finished")}
        value={t("overview.perMinute", {
          value: format.number(Math.round(hour.finishedPerMinute * 10) / 10),
        })}
        hint={rateHint}
      />
      <Tile
        label={t("overview.successRate")}
        value={hour.successRate === null ? dash : format.percent(hour.successRate)}
        hint={`${format.number(hour.counts.failed)} ${t("overview.failed")}`}
      />
      <Tile
        label={t("overview.avgDuration")}
        value={hour.avgDurationMs === null ? dash : format.duration(hour.avgDurationMs)}
        hint={windowLabel}
      />
      <Tile
        label={t("overview.avgQueueWait")}
        value={hour.avgQueueWaitMs === null ? dash : format.duration(hour.avgQueueWaitMs)}
        hint={windowLabel}
      />
      <Tile
        label={t("overview.workersOnline")}
        value={t("overview.workersOnlineValue", {
          online: format.number(data.workers.online),
          total: format.number(data.workers.total),
        })}
        hint={
          <Link to="/workers" className="underline">
            {t("nav.workers")}
          </Link>
        }
      />
    </div>
  );
}

function QueueDepth() {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data } = useQueues();
  // Every function, idle ones too: a function missing here reads as one that does not exist.
  const rows = data.items;
  if (rows.length === 0) return <p className="text-sm text-muted">{t("overview.noQueues")}</p>;
  const widest = Math.max(1, ...rows.map((row) => row.ready + row.scheduled + row.active));
  return (
    <div className="flex flex-col gap-2">
      <BarLegend
        items={DEPTH_PARTS.map((part) => ({ label: t(`overview.${part.key}`), color: part.color }))}
      />
      <div>
        <table className="w-full min-w-[36rem] text-sm">
          <thead className="text-left text-xs text-muted">
            <tr>
              <th scope="col" className="py-1 font-medium">
                {t("jobs.function")}
              </th>
              <th scope="col" className="py-1 font-medium">
                {t("overview.ready")}
              </th>
              <th scope="col" className="py-1 font-medium">
                {t("overview.active")}
              </th>
              <th scope="col" className="py-1 font-medium">
                {t("overview.scheduled")}
              </th>
              <th scope="col" className="py-1 font-medium">
                {t("overview.deadLettered")}
              </th>
              <th scope="col" className="py-1 font-medium">
                {t("overview.oldestQueued")}
              </th>
              <th scope="col" className="w-1/4 py-1 font-medium">
                <span className="sr-only">{t("overview.queueDepth")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.function} className="border-t border-line">
                <td className="py-1.5">
                  <Link
                    to="/functions/$name"
                    params={{ name: row.function }}
                    className="text-accent-text hover:underline"
                  >
                    {row.function}
                  </Link>
                </td>
                <td className="font-mono tabular-nums">{format.number(row.ready)}</td>
                <td className="font-mono tabular-nums">{format.number(row.active)}</td>
                <td className="font-mono tabular-nums">{format.number(row.scheduled)}</td>
                <td className="font-mono tabular-nums">{format.number(row.deadLettered)}</td>
                <td className="font-mono text-xs">
                  {row.oldestQueuedAgeMs === null ? "" : format.duration(row.oldestQueuedAgeMs)}
                </td>
                <td aria-hidden="true">
                  <div className="flex h-2 overflow-hidden rounded bg-neutral-soft">
                    {DEPTH_PARTS.map((part) => (
                      <div
                        key={part.key}
                        className={part.color}
                        style={{ width: `${(row[part.key] / widest) * 100}%` }}
                      />
                    ))}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function RunbookList({ children, empty }: { readonly children: React.ReactNode[]; readonly empty: string }) {
  if (children.length === 0) return <p className="text-sm text-muted">{empty}</p>;
  return <ul className="flex flex-col divide-y divide-line text-sm">{children}</ul>;
}

function Runbook({ window }: { readonly window: TimeWindowName }) {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data } = useDashboardSummary(window);
  const runbook = data.runbook;
  return (
    <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
      <Panel title={t("overview.failingFunctions")}>
        <RunbookList empty={t("overview.failingFunctionsEmpty")}>
          {runbook.failingFunctions.map((row) => (
            <li key={row.function} className="flex items-center justify-between gap-2 py-2">
              <Link
                to="/jobs"
                search={jobsSearchOf(row.link)}
                className="font-medium text-accent-text hover:underline"
              >
                {row.function}
              </Link>
              <span className="text-xs text-muted">
                {t("overview.failedOf", {
                  failed: format.number(row.failed),
                  complete: format.number(row.complete),
                })}
                {row.successRate === null ? "" : ` · ${format.percent(row.successRate)}`}
              </span>
            </li>
          ))}
        </RunbookList>
      </Panel>
      <Panel title={t("overview.stuckJobs")}>
        <RunbookList empty={t("overview.stuckJobsEmpty")}>
          {runbook.stuckJobs.map((row) => (
            <RunbookJobRow
              key={row.id}
              id={row.id}
              fn={row.function}
              detail={t("overview.activeFor", {
                duration: format.duration(row.activeForMs),
                timeout: format.duration(row.timeoutMs),
              })}
            />
          ))}
        </RunbookList>
      </Panel>
      <Panel title={t("overview.oldestQueuedJobs")}>
        <RunbookList empty={t("overview.oldestQueuedEmpty")}>
          {runbook.oldestQueued.map((row) => (
            <RunbookJobRow
              key={row.id}
              id={row.id}
              fn={row.function}
              detail={t("overview.queuedFor", { duration: format.duration(row.ageMs) })}
            />
          ))}
        </RunbookList>
      </Panel>
      <Panel title={t("overview.growingDeadLetters")}>
        <RunbookList empty={t("overview.growingDeadLettersEmpty")}>
          {runbook.growingDeadLetters.map((row) => (
            <li key={row.function} className="flex items-center justify-between gap-2 py-2">
              <Link
                to="/dead-letters"
                search={deadLetterSearchOf(row.link)}
                className="font-medium text-accent-text hover:underline"
              >
                {row.function}
              </Link>
              <span className="text-xs text-muted">
                {t("overview.addedLastHour", {
                  count: row.addedLastHour,
                  total: format.number(row.deadLettered),
                })}
              </span>
            </li>
          ))}
        </RunbookList>
      </Panel>
    </div>
  );
}

export function OverviewPage() {
  const { t } = useTranslation();
  const window = route.useSearch().window ?? DEFAULT_WINDOW;
  const navigate = route.useNavigate();
  const keys = [window];
  return (
    <div className="flex flex-col gap-4">
      <PageHeader
        title={t("overview.title")}
        actions={
          <TimeWindowPicker
            value={window}
            onChange={(next) => {
              void navigate({ search: (previous) => ({ ...previous, window: next }) });
            }}
          />
        }
      />
      <Panel title={t(`window.long.${window}`)} bodyClassName="p-3" resetKeys={keys}>
        <SummaryTiles window={window} />
      </Panel>
      <ApiTiles />
      <Panel title={t("overview.trendsTitle")} resetKeys={keys}>
        <TrendCharts window={window} />
      </Panel>
      <Panel title={t("overview.queueDepth")}>
        <QueueDepth />
      </Panel>
      <section aria-label={t("overview.runbook")}>
        <h2 className="mb-2 text-base font-semibold text-fg">{t("overview.runbook")}</h2>
        <Runbook window={window} />
      </section>
    </div>
  );
}

/** One job of a runbook panel: a link to its page and why it is listed. */
function RunbookJobRow({ id, fn, detail }: { id: string; fn: string; detail: string }) {
  return (
    <li className="flex items-center justify-between gap-2 py-2">
      <Link
        to="/jobs/$jobId"
        params={{ jobId: id }}
        className="font-mono text-xs text-accent-text hover:underline"
      >
        {fn} · {id}
      </Link>
      <span className="text-xs text-muted">{detail}</span>
    </li>
  );
}
