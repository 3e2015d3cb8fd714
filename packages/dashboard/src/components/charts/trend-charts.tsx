/**
 * The charts of a window (throughput, failures, queue wait), for every function or one, kept
 * current by the trends stream: minute buckets for the short windows, hours for the long ones.
 */
import type { JobTrends, TimeWindowName } from "@upnext/core";
import { useCallback, useMemo } from "react";
import { useTranslation } from "react-i18next";
import { useTrends } from "../../api/queries.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import { type ChartSeries, TimeChart } from "./time-chart.js";

const HOUR_MS = 3_600_000;

function useChartSeries(trends: JobTrends) {
  const { t } = useTranslation();
  return useMemo(() => {
    const buckets = trends.buckets;
    const starts = buckets.map((bucket) => bucket.start);
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
    return { starts, throughput, failures, wait };
  }, [trends, t]);
}

export function TrendCharts({ window, fn }: { readonly window: TimeWindowName; readonly fn?: string }) {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data } = useTrends(window, fn);
  const charts = useChartSeries(data);
  const count = useCallback((value: number) => format.compact(value), [format]);
  const duration = useCallback((value: number) => format.duration(value), [format]);
  return (
    <div className="flex flex-col gap-2">
      <p className="text-xs text-muted">
        {t(data.bucketMs >= HOUR_MS ? "window.perHourBuckets" : "window.perMinuteBuckets")}
      </p>
      <div className="grid grid-cols-1 gap-4 xl:grid-cols-3">
        <TimeChart
          title={t("overview.throughput")}
          starts={charts.starts}
          series={charts.throughput}
          formatValue={count}
        />
        <TimeChart
          title={t("overview.failures")}
          starts={charts.starts}
          series={charts.failures}
          formatValue={count}
        />
        <TimeChart
          title={t("overview.queueWait")}
          starts={charts.starts}
          series={charts.wait}
          formatValue={duration}
        />
      </div>
    </div>
  );
}
