import type { TimeWindowName } from "@upnext/core";
import { getRouteApi } from "@tanstack/react-router";
import { Suspense } from "react";
import { useTranslation } from "react-i18next";
import { useFunction, useWindowStats } from "../../api/queries.js";
import { TrendCharts } from "../../components/charts/trend-charts.js";
import { Field, Fields, Tile } from "../../components/fields.js";
import { JobsTable } from "../../components/jobs/jobs-table.js";
import { JsonView } from "../../components/json-view.js";
import { PageHeader } from "../../components/page-header.js";
import { Panel } from "../../components/panel.js";
import { Skeleton } from "../../components/skeleton.js";
import { TimeText } from "../../components/time-text.js";
import { TimeWindowPicker } from "../../components/time-window-picker.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import { DEFAULT_WINDOW } from "../time-window-search.js";
import { FunctionState, PauseButton } from "./functions-page.js";

const route = getRouteApi("/functions/$name");

function Header({ name, picker }: { readonly name: string; readonly picker: React.ReactNode }) {
  const { data: fn } = useFunction(name);
  return (
    <PageHeader
      title={fn.name}
      actions={
        <>
          {picker}
          {fn.registered ? <PauseButton name={fn.name} paused={fn.paused} /> : null}
        </>
      }
    >
      <div className="mt-1">
        <FunctionState fn={fn} />
      </div>
    </PageHeader>
  );
}

function Figures({ name, window }: { readonly name: string; readonly window: TimeWindowName }) {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data: fn } = useFunction(name);
  const { data: windowed } = useWindowStats(window, name);
  const dash = t("common.none");
  // The window's figures; the p95 is over the most recent completed jobs (its own sample).
  const metrics = { ...windowed, p95DurationMs: fn.metrics.p95DurationMs };
  return (
    <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
      <Tile label={t("functions.runs")} value={format.number(metrics.runs)} />
      <Tile
        label={t("functions.successRate")}
        value={metrics.successRate === null ? dash : format.percent(metrics.successRate)}
      />
      <Tile
        label={t("functions.avgDuration")}
        value={metrics.avgDurationMs === null ? dash : format.duration(metrics.avgDurationMs)}
      />
      <Tile
        label={t("functions.p95Duration")}
        value={metrics.p95DurationMs === null ? dash : format.duration(metrics.p95DurationMs)}
      />
      <Tile
        label={t("functions.queueWait")}
        value={metrics.avgQueueWaitMs === null ? dash : format.duration(metrics.avgQueueWaitMs)}
      />
      <Tile
        label={t("overview.ready")}
        value={format.number(fn.queue.ready)}
        hint={`${t("overview.active")}: ${format.number(fn.queue.active)}`}
      />
    </div>
  );
}

function Options({ name }: { readonly name: string }) {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data: fn } = useFunction(name);
  const dash = t("common.none");
  const config = fn.config;
  return (
    <div className="flex flex-col gap-3">
      <Fields>
        <Field label={t("functions.timeout")}>
          {fn.timeoutMs === null ? dash : format.duration(fn.timeoutMs)}
        </Field>
        <Field label={t("functions.concurrency")}>{config.concurrency ?? dash}</Field>
        <Field label={t("functions.routingGroup")}>{config.routingGroup ?? dash}</Field>
        <Field label={t("functions.groupMax")}>{config.groupMax ?? dash}</Field>
        <Field label={t("functions.rateLimit")}>
          {config.rateLimit === null
            ? dash
            : t("functions.rateLimitValue", {
                limit: config.rateLimit.limit,
                window: format.duration(config.rateLimit.windowMs),
              })}
        </Field>
        <Field label={t("functions.published")}>
          <TimeText iso={fn.updatedAt} />
        </Field>
      </Fields>
      <JsonView value={config.options} />
    </div>
  );
}

export function FunctionPage() {
  const { t } = useTranslation();
  const { name } = route.useParams();
  const window = route.useSearch().window ?? DEFAULT_WINDOW;
  const navigate = route.useNavigate();
  const keys = [name, window];
  const picker = (
    <TimeWindowPicker
      value={window}
      onChange={(next) => {
        void navigate({ search: (previous) => ({ ...previous, window: next }) });
      }}
    />
  );
  return (
    <div className="flex flex-col gap-4">
      <Suspense fallback={<Skeleton lines={2} />}>
        <Header name={name} picker={picker} />
      </Suspense>
      <Panel title={t(`window.long.${window}`)} resetKeys={keys} bodyClassName="p-3">
        <Figures name={name} window={window} />
      </Panel>
      <Panel title={t("overview.trendsTitle")} resetKeys={keys}>
        <TrendCharts window={window} fn={name} />
      </Panel>
      <Panel title={t("functions.options")} resetKeys={keys}>
        <Options name={name} />
      </Panel>
      <Panel title={t("functions.recentJobs")} resetKeys={keys} bodyClassName="">
        <JobsTable filters={{ function: name }} hideFunction height="28rem" />
      </Panel>
    </div>
  );
}
