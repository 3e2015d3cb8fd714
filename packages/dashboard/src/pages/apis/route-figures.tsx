/**
 * A route's figures as table cells (count, 5xx errors, p50/p95/p99) and its sparkline of
 * per-minute requests over the last hour, shared by the route tree and the route page.
 */
import { useQuery } from "@tanstack/react-query";
import type { RouteFigures } from "@upnext/core";
import { useTranslation } from "react-i18next";
import { apisApi } from "../../api/apis-queries.js";
import { queryKeys } from "../../api/query-keys.js";
import { useFormatters } from "../../i18n/use-formatters.js";

const CELL = "px-3 py-2 text-right font-mono tabular-nums";

export function FigureCells({ figures }: { readonly figures: RouteFigures }) {
  const format = useFormatters();
  const dash = "—";
  const ms = (value: number | null) => (value === null ? dash : format.duration(value));
  const errors = figures.statuses["5xx"];
  return (
    <>
      <td className={CELL}>{format.number(figures.count)}</td>
      <td className={`${CELL} ${errors > 0 ? "text-danger" : ""}`}>
        {format.number(errors)}
        {figures.count > 0 ? ` (${format.percent(figures.errorRate)})` : ""}
      </td>
      <td className={CELL}>{ms(figures.p50Ms)}</td>
      <td className={CELL}>{ms(figures.p95Ms)}</td>
      <td className={CELL}>{ms(figures.p99Ms)}</td>
    </>
  );
}

const SPARK_WIDTH = 120;
const SPARK_HEIGHT = 24;

/** Per-minute request counts of the last hour as a line; the route page has the full charts. */
export function RouteSparkline({
  api,
  method,
  route,
}: {
  readonly api: string;
  readonly method: string;
  readonly route: string;
}) {
  const { t } = useTranslation();
  const { data } = useQuery({
    queryKey: queryKeys.apis.route(api, method, route),
    queryFn: ({ signal }) => apisApi.route(api, method, route, { signal }),
    staleTime: 30_000,
  });
  if (data === undefined) return <span className="text-xs text-muted">…</span>;
  const counts = data.minutes.map((point) => point.count);
  const max = Math.max(1, ...counts);
  const step = counts.length > 1 ? SPARK_WIDTH / (counts.length - 1) : 0;
  const points = counts
    .map(
      (count, index) =>
        `${(index * step).toFixed(1)},${(SPARK_HEIGHT - (count / max) * SPARK_HEIGHT).toFixed(1)}`,
    )
    .join(" ");
  const total = counts.reduce((sum, count) => sum + count, 0);
  return (
    <svg
      role="img"
      aria-label={t("apis.sparkline", { count: total })}
      width={SPARK_WIDTH}
      height={SPARK_HEIGHT}
      viewBox={`0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}`}
      className="overflow-visible text-accent-text"
    >
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}
