import { Link } from "@tanstack/react-router";
import type { WorkerSummary } from "@upnext/core";
import { useTranslation } from "react-i18next";
import { useWorkers } from "../../api/queries.js";
import { PageHeader } from "../../components/page-header.js";
import { Panel } from "../../components/panel.js";
import { TimeText } from "../../components/time-text.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import { WorkerLoad } from "./worker-load.js";

export function OnlineBadge({ worker }: { readonly worker: Pick<WorkerSummary, "online"> }) {
  const { t } = useTranslation();
  return worker.online ? (
    <span className="rounded bg-ok-soft px-2 py-0.5 text-xs font-medium text-ok">{t("workers.online")}</span>
  ) : (
    <span className="rounded bg-neutral-soft px-2 py-0.5 text-xs font-medium text-neutral">
      {t("workers.offline")}
    </span>
  );
}

function WorkersTable() {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data } = useWorkers();
  if (data.items.length === 0) return <p className="p-4 text-sm text-muted">{t("workers.empty")}</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm" aria-label={t("workers.table")}>
        <thead className="bg-panel-head text-left text-xs text-muted">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("workers.name")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("workers.online")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("workers.host")}
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              {t("workers.active")}
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              {t("workers.completed")}
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              {t("workers.failed")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("workers.functions")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("workers.lastSeen")}
            </th>
          </tr>
        </thead>
        <tbody>
          {data.items.map((worker) => (
            <tr key={worker.id} className="border-t border-line">
              <td className="px-3 py-2">
                <Link
                  to="/workers/$workerId"
                  params={{ workerId: worker.id }}
                  className="font-medium text-accent-text hover:underline"
                >
                  {worker.name}
                </Link>
                <div className="font-mono text-xs text-muted">{worker.id}</div>
              </td>
              <td className="px-3 py-2">
                <OnlineBadge worker={worker} />
              </td>
              <td className="px-3 py-2 font-mono text-xs">
                {worker.host} · {worker.pid}
              </td>
              <td className="px-3 py-2 text-right font-mono tabular-nums">
                <WorkerLoad worker={worker} />
              </td>
              <td className="px-3 py-2 text-right font-mono tabular-nums">
                {format.number(worker.completed)}
              </td>
              <td className="px-3 py-2 text-right font-mono tabular-nums">{format.number(worker.failed)}</td>
              <td className="max-w-xs truncate px-3 py-2 text-xs" title={worker.functions.join(", ")}>
                {worker.functions.join(", ")}
              </td>
              <td className="px-3 py-2 text-xs">
                <TimeText iso={worker.lastSeenAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function WorkersPage() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t("workers.title")} />
      <Panel title={t("workers.title")} bodyClassName="">
        <WorkersTable />
      </Panel>
    </>
  );
}
