/**
 * A time series (minute or hour buckets) drawn with uPlot (canvas, small, fast). Colours come from the theme's CSS
 * variables and the chart is redrawn when the theme or its width changes. The canvas is hidden
 * from screen readers; the same numbers are in a visually hidden table beside it.
 */
import { useCallback, useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useFormatters } from "../../i18n/use-formatters.js";
import { useTheme } from "../../theme/theme.js";

export interface ChartSeries {
  readonly label: string;
  /** A CSS variable name of the theme, e.g. "--c-ok". */
  readonly color: string;
  readonly values: readonly (number | null)[];
}

const CHART_HEIGHT_PX = 180;
const MS_PER_S = 1_000;

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/** Longer than this, bucket labels carry the weekday. */
const DAY_MS = 86_400_000;

export function TimeChart({
  title,
  starts,
  series,
  formatValue,
}: {
  readonly title: string;
  /** The start of every bucket, oldest first (ISO). */
  readonly starts: readonly string[];
  readonly series: readonly ChartSeries[];
  readonly formatValue: (value: number) => string;
}) {
  const container = useRef<HTMLDivElement>(null);
  const format = useFormatters();
  const first = starts[0];
  const last = starts.at(-1);
  const spansDays =
    first !== undefined && last !== undefined && Date.parse(last) - Date.parse(first) > DAY_MS;
  const label = useCallback(
    (iso: string) => (spansDays ? format.dayHour(iso) : format.hour(iso)),
    [spansDays, format],
  );
  const { theme } = useTheme();
  const { t } = useTranslation();
  const timeLabel = t("common.time");

  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    const text = cssVar("--c-muted");
    const grid = cssVar("--c-border");
    const data: uPlot.AlignedData = [
      starts.map((start) => Date.parse(start) / MS_PER_S),
      ...series.map((line) => line.values.map((value) => value ?? null)),
    ];
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height: CHART_HEIGHT_PX,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        {
          ...axis,
          values: (_u, ticks) => ticks.map((tick) => label(new Date(tick * MS_PER_S).toISOString())),
        },
        { ...axis, size: 60, values: (_u, ticks) => ticks.map((tick) => formatValue(tick)) },
      ],
      series: [
        {
          label: timeLabel,
          value: (_u, value) => label(new Date(value * MS_PER_S).toISOString()),
        },
        ...series.map((line) => ({
          label: line.label,
          stroke: cssVar(line.color),
          width: 2,
          // Points too, so a bucket standing alone (the others empty) is still visible.
          points: { show: true, size: 4 },
          value: (_u: uPlot, value: number | null) => (value == null ? "—" : formatValue(value)),
        })),
      ],
    };
    const plot = new uPlot(options, data, element);
    const observer = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(element.clientWidth, 200), height: CHART_HEIGHT_PX });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [starts, series, label, formatValue, theme, timeLabel]);

  return (
    <figure className="min-w-0">
      <figcaption className="mb-1 text-sm font-medium text-fg">{title}</figcaption>
      <div ref={container} aria-hidden="true" className="upnext-chart text-xs text-muted" />
      <table className="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{timeLabel}</th>
            {series.map((line) => (
              <th key={line.label} scope="col">
                {line.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {starts.map((start, index) => (
            <tr key={start}>
              <th scope="row">{label(start)}</th>
              {series.map((line) => {
                const value = line.values[index];
                return <td key={line.label}>{value == null ? "—" : formatValue(value)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
