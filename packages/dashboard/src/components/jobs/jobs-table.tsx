/**
 * A live, virtualized jobs table over a cursor-paged list: only the rows in view are in the DOM,
 * the next page loads as the end comes into view, and rows change in place as the live stream
 * merges events into the cache.
 */
import { Link } from "@tanstack/react-router";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { JobSummary } from "@upnext/core";
import { memo, useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import type { JobFilters } from "../../api/job-filters.js";
import { useJobsList } from "../../api/queries.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import type { Selection } from "../bulk/use-selection.js";
import { ProgressBar } from "../progress-bar.js";
import { StatusBadge } from "../status-badge.js";
import { TimeText } from "../time-text.js";

const ROW_HEIGHT_PX = 40;
const OVERSCAN_ROWS = 10;
/** Start loading the next page this many rows before the end is reached. */
const PREFETCH_ROWS = 20;

const JobRow = memo(function JobRow({
  job,
  hideFunction,
  selected,
  onToggle,
}: {
  readonly job: JobSummary;
  readonly hideFunction: boolean;
  /** Undefined: the table has no selection column. */
  readonly selected: boolean | undefined;
  readonly onToggle: ((id: string) => void) | undefined;
}) {
  const format = useFormatters();
  const { t } = useTranslation();
  return (
    <>
      {selected === undefined ? null : (
        <td className="px-3">
          <input
            type="checkbox"
            checked={selected}
            aria-label={t("bulk.selectRow", { id: job.id })}
            onChange={() => onToggle?.(job.id)}
          />
        </td>
      )}
      <td className="px-3 font-mono text-xs">
        <Link
          to="/jobs/$jobId"
          params={{ jobId: job.id }}
          className="text-accent-text underline-offset-2 hover:underline"
        >
          {job.id}
        </Link>
      </td>
      {hideFunction ? null : <td className="truncate px-3">{job.function}</td>}
      <td className="px-3">
        <StatusBadge status={job.status} />
      </td>
      <td className="px-3 font-mono text-xs tabular-nums">
        {job.maxAttempts === null ? job.attempt : `${job.attempt}/${job.maxAttempts}`}
      </td>
      <td className="px-3">
        {job.status === "active" ? (
          <ProgressBar value={job.progress} label={job.progressMessage ?? undefined} />
        ) : null}
      </td>
      <td className="px-3 text-xs whitespace-nowrap">
        <TimeText iso={job.createdAt} />
      </td>
      <td className="px-3 font-mono text-xs tabular-nums">
        {job.durationMs === null ? "" : format.duration(job.durationMs)}
      </td>
      <td className="truncate px-3 font-mono text-xs">{job.workerId ?? ""}</td>
    </>
  );
});

export function JobsTable({
  filters,
  hideFunction = false,
  height = "calc(100vh - 16rem)",
  emptyText,
  selection,
}: {
  readonly filters: JobFilters;
  readonly hideFunction?: boolean;
  readonly height?: string;
  readonly emptyText?: string;
  /** Adds a checkbox per row (bulk actions). */
  readonly selection?: Selection;
}) {
  const { t } = useTranslation();
  const query = useJobsList(filters);
  const rows = query.data.pages.flatMap((page) => page.items);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT_PX,
    overscan: OVERSCAN_ROWS,
    getItemKey: (index) => rows[index]?.id ?? index,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? 0;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastIndex >= rows.length - PREFETCH_ROWS) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage, lastIndex, rows.length]);

  if (rows.length === 0) {
    return <p className="p-4 text-sm text-muted">{emptyText ?? t("jobs.empty")}</p>;
  }
  const before = items[0]?.start ?? 0;
  const after = virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0);
  const columns = (hideFunction ? 7 : 8) + (selection === undefined ? 0 : 1);
  return (
    <div
      ref={scrollRef}
      tabIndex={0}
      className="overflow-auto"
      style={{ height }}
      aria-label={t("jobs.table")}
      role="region"
    >
      <table className="w-full table-fixed border-collapse text-sm" aria-rowcount={rows.length + 1}>
        <thead className="sticky top-0 z-10 bg-panel-head text-left text-xs text-muted">
          <tr>
            {selection === undefined ? null : (
              <th scope="col" className="w-10 px-3 py-2 font-medium">
                <span className="sr-only">{t("bulk.select")}</span>
              </th>
            )}
            <th scope="col" className="w-60 px-3 py-2 font-medium">
              {t("jobs.columns.id")}
            </th>
            {hideFunction ? null : (
              <th scope="col" className="w-40 px-3 py-2 font-medium">
                {t("jobs.columns.function")}
              </th>
            )}
            <th scope="col" className="w-32 px-3 py-2 font-medium">
              {t("jobs.columns.status")}
            </th>
            <th scope="col" className="w-20 px-3 py-2 font-medium">
              {t("jobs.columns.attempt")}
            </th>
            <th scope="col" className="w-40 px-3 py-2 font-medium">
              {t("jobs.columns.progress")}
            </th>
            <th scope="col" className="w-32 px-3 py-2 font-medium">
              {t("jobs.columns.created")}
            </th>
            <th scope="col" className="w-28 px-3 py-2 font-medium">
              {t("jobs.columns.duration")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("jobs.columns.worker")}
            </th>
          </tr>
        </thead>
        <tbody>
          {before > 0 ? (
            <tr aria-hidden="true">
              <td colSpan={columns} style={{ height: before }} />
            </tr>
          ) : null}
          {items.map((item) => {
            const job = rows[item.index];
            if (job === undefined) return null;
            return (
              <tr
                key={item.key}
                aria-rowindex={item.index + 2}
                className="border-t border-line hover:bg-panel-head"
                style={{ height: ROW_HEIGHT_PX }}
              >
                <JobRow
                  job={job}
                  hideFunction={hideFunction}
                  selected={selection?.has(job.id)}
                  onToggle={selection?.toggle}
                />
              </tr>
            );
          })}
          {after > 0 ? (
            <tr aria-hidden="true">
              <td colSpan={columns} style={{ height: after }} />
            </tr>
          ) : null}
        </tbody>
      </table>
      <p className="p-3 text-center text-xs text-muted" role="status">
        {isFetchingNextPage ? t("common.loadingMore") : hasNextPage ? "" : t("common.noMore")}
      </p>
    </div>
  );
}
