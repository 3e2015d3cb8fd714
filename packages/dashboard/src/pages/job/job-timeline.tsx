/**
 * The whole job tree on one time axis, virtualized: a tree of 10,000 jobs keeps only the rows in
 * view in the DOM. Every page of the tree is fetched (in the background, page after page) so the
 * shape is complete; rows update live as the stream merges events into the cached pages.
 */
import { Link } from "@tanstack/react-router";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { JobStatus } from "@upnext/core";
import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useTimeline } from "../../api/queries.js";
import { StatusBadge } from "../../components/status-badge.js";
import { useNow } from "../../components/time-text.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import {
  type TimeDomain,
  type TimelineRow,
  barOf,
  buildTimelineTree,
  timeDomain,
  visibleRows,
} from "./timeline-model.js";

const ROW_HEIGHT_PX = 32;
/** The timeline grows with the tree up to this height, then scrolls. */
const TIMELINE_MAX_HEIGHT_PX = 480;
const OVERSCAN_ROWS = 15;
const INDENT_PX = 14;
/** Past this depth rows stop moving right, so deep chains stay readable. */
const MAX_INDENT_DEPTH = 12;

const BAR_CLASS: Record<JobStatus, string> = {
  waiting: "bg-neutral",
  scheduled: "bg-neutral",
  queued: "bg-info opacity-60",
  active: "bg-info",
  retrying: "bg-warn",
  complete: "bg-ok",
  failed: "bg-danger",
  cancelled: "bg-neutral",
};

const Row = memo(function Row({
  row,
  domain,
  now,
  current,
  collapsed,
  onToggle,
}: {
  readonly row: TimelineRow;
  readonly domain: TimeDomain;
  readonly now: number;
  readonly current: boolean;
  readonly collapsed: boolean;
  readonly onToggle: (id: string) => void;
}) {
  const { t } = useTranslation();
  const format = useFormatters();
  const { job } = row;
  const bar = barOf(job, domain, now);
  return (
    <div
      className={`grid h-full grid-cols-[minmax(0,22rem)_1fr] items-center gap-3 border-t border-line px-2 ${current ? "bg-accent-soft" : ""}`}
    >
      <div
        className="flex min-w-0 items-center gap-1"
        style={{ paddingLeft: Math.min(row.depth, MAX_INDENT_DEPTH) * INDENT_PX }}
      >
        {row.childCount > 0 ? (
          <button
            type="button"
            aria-expanded={!collapsed}
            aria-label={`${collapsed ? t("job.expand") : t("job.collapse")} ${job.function} ${job.id}`}
            onClick={() => {
              onToggle(job.id);
            }}
            className="w-5 shrink-0 rounded text-muted hover:text-fg"
          >
            {collapsed ? "▸" : "▾"}
          </button>
        ) : (
          <span className="w-5 shrink-0" />
        )}
        <StatusBadge status={job.status} />
        <Link
          to="/jobs/$jobId"
          params={{ jobId: job.id }}
          aria-current={current ? "page" : undefined}
          className="truncate text-sm text-accent-text hover:underline"
          title={job.id}
        >
          {job.function}
        </Link>
        {row.childCount > 0 ? (
          <span className="shrink-0 text-xs text-muted">({format.number(row.childCount)})</span>
        ) : null}
      </div>
      <div className="relative h-3 rounded bg-neutral-soft" aria-hidden="true">
        <div
          className={`absolute top-0 h-3 rounded ${BAR_CLASS[job.status]}`}
          style={{ left: `${bar.left}%`, width: `${bar.width}%` }}
        />
      </div>
    </div>
  );
});

export function JobTimeline({ jobId }: { readonly jobId: string }) {
  const { t } = useTranslation();
  const query = useTimeline(jobId);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const rootId = query.data.pages[0]?.rootId ?? jobId;
  const jobs = useMemo(() => query.data.pages.flatMap((page) => page.items), [query.data.pages]);
  const externalParents = useMemo(() => {
    const byId = new Map(
      query.data.pages.flatMap((page) => page.externalParents).map((link) => [link.id, link]),
    );
    return [...byId.values()];
  }, [query.data.pages]);
  const tree = useMemo(() => buildTimelineTree(jobs, rootId), [jobs, rootId]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const rows = useMemo(() => visibleRows(tree, collapsed), [tree, collapsed]);
  const running = jobs.some((job) => job.finishedAt === null);
  const clock = useNow();
  const now = running ? clock : 0;
  const domain = useMemo(() => timeDomain(jobs, now || Date.now()), [jobs, now]);
  const toggle = useCallback((id: string) => {
    setCollapsed((previous) => {
      const next = new Set(previous);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT_PX,
    overscan: OVERSCAN_ROWS,
    getItemKey: (index) => rows[index]?.job.id ?? index,
  });
  return (
    <div>
      <p className="mb-2 text-xs text-muted" role="status">
        {t("job.timelineCount", { count: jobs.length })}
        {hasNextPage ? ` · ${t("common.loadingMore")}` : ""}
      </p>
      {externalParents.length === 0 ? null : (
        <div className="mb-2 flex flex-wrap items-center gap-2 text-xs text-muted">
          <span>{t("job.externalParents")}</span>
          {externalParents.map((link) => (
            <Link
              key={link.id}
              to="/jobs/$jobId"
              params={{ jobId: link.id }}
              className="inline-flex items-center gap-1 text-accent-text hover:underline"
            >
              {link.function}
              <StatusBadge status={link.status} />
            </Link>
          ))}
        </div>
      )}
      <div
        ref={scrollRef}
        tabIndex={0}
        role="region"
        aria-label={t("job.timeline")}
        className="overflow-auto rounded-md border border-line"
        style={{ height: Math.min(TIMELINE_MAX_HEIGHT_PX, Math.max(rows.length, 1) * ROW_HEIGHT_PX + 2) }}
        data-testid="timeline-scroll"
      >
        <ul className="relative w-full" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index];
            if (row === undefined) return null;
            return (
              <li
                key={item.key}
                aria-level={row.depth + 1}
                className="absolute left-0 w-full"
                style={{ top: 0, height: ROW_HEIGHT_PX, transform: `translateY(${item.start}px)` }}
              >
                <Row
                  row={row}
                  domain={domain}
                  now={now || domain.end}
                  current={row.job.id === jobId}
                  collapsed={collapsed.has(row.job.id)}
                  onToggle={toggle}
                />
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}
