/** The job's log lines (from ctx.log) and its raw events, oldest first, appended live. */
import { useTranslation } from "react-i18next";
import { useJobEvents, useJobLogs } from "../../api/queries.js";
import { Button } from "../../components/button.js";
import { ScrollRegion } from "../../components/scroll-region.js";
import { useFormatters } from "../../i18n/use-formatters.js";

const LEVEL_CLASS = {
  debug: "text-muted",
  info: "text-info",
  warn: "text-warn",
  error: "text-danger",
} as const;

export function JobLogs({ jobId }: { readonly jobId: string }) {
  const { t } = useTranslation();
  const format = useFormatters();
  const query = useJobLogs(jobId);
  const logs = query.data.pages.flatMap((page) => page.items);
  if (logs.length === 0) return <p className="text-sm text-muted">{t("job.logsEmpty")}</p>;
  return (
    <div>
      <ScrollRegion label={t("job.logs")} className="max-h-96 rounded-md border border-line bg-bg">
        <ol className="p-2 font-mono text-xs">
          {logs.map((log) => (
            <li key={log.id} className="flex gap-3 py-0.5">
              <time dateTime={log.at} className="shrink-0 text-muted">
                {format.time(log.at)}
              </time>
              <span className={`w-12 shrink-0 uppercase ${LEVEL_CLASS[log.level]}`}>{log.level}</span>
              <span className="shrink-0 text-muted">#{log.attempt}</span>
              <span className="break-words whitespace-pre-wrap text-fg">
                {log.message}
                {Object.keys(log.fields).length > 0 ? (
                  <span className="text-muted"> {JSON.stringify(log.fields)}</span>
                ) : null}
              </span>
            </li>
          ))}
        </ol>
      </ScrollRegion>
      {query.hasNextPage ? (
        <Button
          className="mt-2"
          onClick={() => void query.fetchNextPage()}
          disabled={query.isFetchingNextPage}
        >
          {query.isFetchingNextPage ? t("common.loadingMore") : t("common.loadMore")}
        </Button>
      ) : null}
    </div>
  );
}

export function JobEvents({ jobId }: { readonly jobId: string }) {
  const { t } = useTranslation();
  const format = useFormatters();
  const query = useJobEvents(jobId);
  const events = query.data.pages.flatMap((page) => page.items).filter((event) => event.type !== "log");
  if (events.length === 0) return <p className="text-sm text-muted">{t("job.eventsEmpty")}</p>;
  return (
    <div>
      <table className="w-full text-sm">
        <thead className="text-left text-xs text-muted">
          <tr>
            <th scope="col" className="py-1 font-medium">
              {t("common.time")}
            </th>
            <th scope="col" className="py-1 font-medium">
              {t("job.eventType")}
            </th>
            <th scope="col" className="py-1 font-medium">
              {t("job.attempts")}
            </th>
            <th scope="col" className="py-1 font-medium">
              {t("common.details")}
            </th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.id} className="border-t border-line align-top">
              <td className="py-1 pr-3 font-mono text-xs whitespace-nowrap">{format.time(event.at)}</td>
              <td className="py-1 pr-3">{t(`activity.event.${event.type}`, { percent: "" })}</td>
              <td className="py-1 pr-3 font-mono text-xs">{event.attempt}</td>
              <td
                className="max-w-md truncate py-1 font-mono text-xs text-muted"
                title={JSON.stringify(event.data)}
              >
                {JSON.stringify(event.data)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {query.hasNextPage ? (
        <Button
          className="mt-2"
          onClick={() => void query.fetchNextPage()}
          disabled={query.isFetchingNextPage}
        >
          {t("common.loadMore")}
        </Button>
      ) : null}
    </div>
  );
}
