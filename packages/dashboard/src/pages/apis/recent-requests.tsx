/**
 * The recent slow and failed requests (sampled by the tracker, never bodies or headers), newest
 * first, with new ones arriving live from the APIs stream.
 */
import { useTranslation } from "react-i18next";
import { useApiRequests } from "../../api/apis-queries.js";
import { TimeText } from "../../components/time-text.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import { useApiRequestStream } from "../../live/use-api-request-stream.js";

const HEAD = "px-3 py-2 font-medium";

export function RecentRequests({ api }: { readonly api: string | null }) {
  const { t } = useTranslation();
  const format = useFormatters();
  useApiRequestStream(api);
  const { data } = useApiRequests(api);
  if (data.items.length === 0) return <p className="p-4 text-sm text-muted">{t("apis.noRequests")}</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm" aria-label={t("apis.recent")}>
        <thead className="bg-panel-head text-left text-xs text-muted">
          <tr>
            <th scope="col" className={HEAD}>
              {t("common.time")}
            </th>
            <th scope="col" className={HEAD}>
              {t("apis.api")}
            </th>
            <th scope="col" className={HEAD}>
              {t("apis.route")}
            </th>
            <th scope="col" className={`${HEAD} text-right`}>
              {t("apis.status")}
            </th>
            <th scope="col" className={`${HEAD} text-right`}>
              {t("apis.duration")}
            </th>
            <th scope="col" className={HEAD}>
              {t("apis.reason")}
            </th>
            <th scope="col" className={HEAD}>
              {t("apis.ids")}
            </th>
          </tr>
        </thead>
        <tbody>
          {data.items.map((request) => (
            <tr key={request.id} className="border-t border-line">
              <td className="px-3 py-2 text-xs">
                <TimeText iso={request.at} />
              </td>
              <td className="px-3 py-2 text-xs">{request.api}</td>
              <td className="px-3 py-2 font-mono text-xs">
                <span className="font-semibold">{request.method}</span> {request.route}
              </td>
              <td
                className={`px-3 py-2 text-right font-mono tabular-nums ${request.status >= 500 ? "text-danger" : ""}`}
              >
                {request.status}
              </td>
              <td className="px-3 py-2 text-right font-mono tabular-nums">
                {format.duration(request.durationMs)}
              </td>
              <td className="px-3 py-2 text-xs">{t(`apis.reasons.${request.reason}`)}</td>
              <td className="px-3 py-2 font-mono text-xs text-muted">
                {request.requestId ?? "—"}
                {request.traceId === null ? null : <div>{request.traceId}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
