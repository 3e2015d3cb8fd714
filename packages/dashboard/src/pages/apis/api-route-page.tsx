/**
 * One route of an API: its figures over the last day, per-minute charts of the last hour and
 * hourly charts of the day (requests and errors, latency percentiles).
 */
import { Link, getRouteApi } from "@tanstack/react-router";
import type { RouteTrendPoint } from "@upnext/core";
import { useCallback, useMemo } from "react";
import { useTranslation } from "react-i18next";
import { useApiRoute } from "../../api/apis-queries.js";
import { type ChartSeries, TimeChart } from "../../components/charts/time-chart.js";
import { PageHeader } from "../../components/page-header.js";
import { Panel } from "../../components/panel.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import { FigureCells } from "./route-figures.js";

const routeApi = getRouteApi("/apis/$name/route");

function useSeries(points: readonly RouteTrendPoint[]) {
  const { t } = useTranslation();
  return useMemo(() => {
    const at = points.map((point) => point.at);
    const traffic: ChartSeries[] = [
      { label: t("apis.requests"), color: "--c-info", values: points.map((point) => point.count) },
      { label: t("apis.errors"), color: "--c-danger", values: points.map((point) => point.statuses["5xx"]) },
    ];
    const latency: ChartSeries[] = [
      { label: "p50", color: "--c-ok", values: points.map((point) => point.p50Ms) },
      { label: "p95", color: "--c-warn", values: points.map((point) => point.p95Ms) },
      { label: "p99", color: "--c-danger", values: points.map((point) => point.p99Ms) },
    ];
    return { at, traffic, latency };
  }, [points, t]);
}

function TrendPair({
  points,
  title,
}: {
  readonly points: readonly RouteTrendPoint[];
  readonly title: string;
}) {
  const { t } = useTranslation();
  const format = useFormatters();
  const series = useSeries(points);
  const count = useCallback((value: number) => format.compact(value), [format]);
  const duration = useCallback((value: number) => format.duration(value), [format]);
  return (
    <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
      <TimeChart
        title={`${title}: ${t("apis.traffic")}`}
        starts={series.at}
        series={series.traffic}
        formatValue={count}
      />
      <TimeChart
        title={`${title}: ${t("apis.latency")}`}
        starts={series.at}
        series={series.latency}
        formatValue={duration}
      />
    </div>
  );
}

function RouteDetail({ name, method, route }: { name: string; method: string; route: string }) {
  const { t } = useTranslation();
  const { data } = useApiRoute(name, method, route);
  return (
    <div className="flex flex-col gap-4">
      <div className="overflow-x-auto">
        <table className="w-full text-sm" aria-label={t("apis.figures")}>
          <thead className="text-left text-xs text-muted">
            <tr>
              <th scope="col" className="px-3 py-2 text-right font-medium">
                {t("apis.requests")}
              </th>
              <th scope="col" className="px-3 py-2 text-right font-medium">
                {t("apis.errors")}
              </th>
              <th scope="col" className="px-3 py-2 text-right font-medium">
                p50
              </th>
              <th scope="col" className="px-3 py-2 text-right font-medium">
                p95
              </th>
              <th scope="col" className="px-3 py-2 text-right font-medium">
                p99
              </th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <FigureCells figures={data.figures} />
            </tr>
          </tbody>
        </table>
      </div>
      <TrendPair points={data.minutes} title={t("apis.perMinute")} />
      <TrendPair points={data.hours} title={t("apis.perHour")} />
    </div>
  );
}

export function ApiRoutePage() {
  const { t } = useTranslation();
  const { name } = routeApi.useParams();
  const { method, route } = routeApi.useSearch();
  return (
    <div className="flex flex-col gap-4">
      <PageHeader title={`${method} ${route}`}>
        <Link to="/apis" className="text-sm text-accent-text hover:underline">
          {t("apis.backTo", { name })}
        </Link>
      </PageHeader>
      <Panel title={t("apis.trends")} resetKeys={[name, method, route]}>
        <RouteDetail name={name} method={method} route={route} />
      </Panel>
    </div>
  );
}
