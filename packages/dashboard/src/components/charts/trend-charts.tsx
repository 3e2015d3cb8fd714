/**
 * The hourly charts of the last day (throughput, failures, queue wait), for every function or
 * one, kept current by the trends stream.
 */
import type { JobTrends } from "@upnext/core";
import { useCallback, useMemo } from "react";
import { useTranslation } from "react-i18next";
import { useTrends } from "../../api/queries.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import { type ChartSeries, TimeChart } from "./time-chart.js";

function useChartSeries(trends: JobTrends) {
  const { t } = useTranslation();
  return useMemo(() => {
    const buckets = trends.buckets;
    const hours = buckets.map((bucket) => bucket.hour);
    const throughput: ChartSeries[] = [
      {
        label: t("overview.submitted"),
        color: "--c-info",
        values: buckets.map((bucket) => bucket.counts.submitted),
      },
      {
        label: t("overview.complete"),
        color: "--c-ok",
        values: buckets.map((bucket) => bucket.counts.complete),
      },
    ];
    const failures: ChartSeries[] = [
      {
        label: t("overview.failed"),
        color: "--c-danger",
        values: buckets.map((bucket) => bucket.counts.failed),
      },
      {
        label: t("overview.retried"),
        color: "--c-warn",
        values: buckets.map((bucket) => bucket.counts.retried),
      },
      {
        label: t("overview.cancelled"),
        color: "--c-neutral",
        values: buckets.map((bucket) => bucket.counts.cancelled),
      },
    ];
    const wait: ChartSeries[] = [
      {
        label: t("overview.avgQueueWait"),
        color: "--c-accent",
        values: buckets.map((bucket) => bucket.avgQueueWaitMs ?? null),
      },
    ];
    return { hours, throughput, failures, wait };
  }, [trends, t]);
}

export function TrendCharts({ fn }: { readonly fn?: string }) {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data } = useTrends(undefined, fn);
  const charts = useChartSeries(data);
  const count = useCallback((value: number) => format.compact(value), [format]);
  const duration = useCallback((value: number) => format.duration(value), [format]);
  return (
    <div className="grid grid-cols-1 gap-4 xl:grid-cols-3">
      <TimeChart
        title={t("overview.throughput")}
        hours={charts.hours}
        series={charts.throughput}
        formatValue={count}
      />
      <TimeChart
        title={t("overview.failures")}
        hours={charts.hours}
        series={charts.failures}
        formatValue={count}
      />
      <TimeChart
        title={t("overview.queueWait")}
        hours={charts.hours}
        series={charts.wait}
        formatValue={duration}
      />
    </div>
  );
}
