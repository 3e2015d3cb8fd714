/**
 * The HTTP APIs tracked by `upnext/http` (docs/http-apis.md): per API its instances and its
 * routes grouped by path segment, each with its figures over the last day and a sparkline of the
 * last hour, and the recent slow and failed requests as they arrive.
 */
import { Link } from "@tanstack/react-router";
import type { ApiSummary } from "@upnext/core";
import { useTranslation } from "react-i18next";
import { API_LIST_HOURS, useApis } from "../../api/apis-queries.js";
import { PageHeader } from "../../components/page-header.js";
import { Panel } from "../../components/panel.js";
import { TimeText } from "../../components/time-text.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import { OnlineBadge } from "../workers/workers-page.js";
import { RecentRequests } from "./recent-requests.js";
import { FigureCells, RouteSparkline } from "./route-figures.js";
import { routeTree } from "./route-tree.js";

const HEAD = "px-3 py-2 font-medium";

function Instances({ api }: { readonly api: ApiSummary }) {
  const { t } = useTranslation();
  if (api.instances.length === 0) return <p className="p-4 text-sm text-muted">{t("apis.noInstances")}</p>;
  return (
    <table className="w-full text-sm" aria-label={t("apis.instancesOf", { name: api.name })}>
      <thead className="bg-panel-head text-left text-xs text-muted">
        <tr>
          <th scope="col" className={HEAD}>
            {t("apis.instance")}
          </th>
          <th scope="col" className={HEAD}>
            {t("workers.online")}
          </th>
          <th scope="col" className={HEAD}>
            {t("workers.host")}
          </th>
          <th scope="col" className={HEAD}>
            {t("apis.version")}
          </th>
          <th scope="col" className={HEAD}>
            {t("workers.lastSeen")}
          </th>
        </tr>
      </thead>
      <tbody>
        {api.instances.map((instance) => (
          <tr key={instance.id} className="border-t border-line">
            <td className="px-3 py-2 font-mono text-xs">{instance.id}</td>
            <td className="px-3 py-2">
              <OnlineBadge worker={instance} />
            </td>
            <td className="px-3 py-2 font-mono text-xs">
              {instance.host} · {instance.pid}
            </td>
            <td className="px-3 py-2 text-xs">{instance.version ?? "—"}</td>
            <td className="px-3 py-2 text-xs">
              <TimeText iso={instance.lastSeenAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Routes({ api }: { readonly api: ApiSummary }) {
  const { t } = useTranslation();
  const format = useFormatters();
  if (api.routes.length === 0) return <p className="p-4 text-sm text-muted">{t("apis.noRoutes")}</p>;
  return (
    <table className="w-full text-sm" aria-label={t("apis.routesOf", { name: api.name })}>
      <thead className="bg-panel-head text-left text-xs text-muted">
        <tr>
          <th scope="col" className={HEAD}>
            {t("apis.route")}
          </th>
          <th scope="col" className={`${HEAD} text-right`}>
            {t("apis.requests")}
          </th>
          <th scope="col" className={`${HEAD} text-right`}>
            {t("apis.errors")}
          </th>
          <th scope="col" className={`${HEAD} text-right`}>
            p50
          </th>
          <th scope="col" className={`${HEAD} text-right`}>
            p95
          </th>
          <th scope="col" className={`${HEAD} text-right`}>
            p99
          </th>
          <th scope="col" className={HEAD}>
            {t("apis.lastHour")}
          </th>
        </tr>
      </thead>
      {routeTree(api.routes).map((group) => (
        <tbody key={group.prefix}>
          <tr className="border-t border-line bg-panel-head/50">
            <th scope="rowgroup" colSpan={7} className="px-3 py-1.5 text-left font-mono text-xs text-muted">
              {group.prefix} ·{" "}
              {t("apis.groupRequests", { count: group.count, value: format.number(group.count) })}
            </th>
          </tr>
          {group.routes.map((route) => (
            <tr key={`${route.method} ${route.route}`} className="border-t border-line">
              <td className="px-3 py-2 pl-6">
                <Link
                  to="/apis/$name/route"
                  params={{ name: api.name }}
                  search={{ method: route.method, route: route.route }}
                  className="font-mono text-xs text-accent-text hover:underline"
                >
                  <span className="font-semibold">{route.method}</span> {route.route}
                </Link>
              </td>
              <FigureCells figures={route} />
              <td className="px-3 py-2">
                <RouteSparkline api={api.name} method={route.method} route={route.route} />
              </td>
            </tr>
          ))}
        </tbody>
      ))}
    </table>
  );
}

function ApiPanels() {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data } = useApis(API_LIST_HOURS);
  if (data.items.length === 0) {
    return (
      <Panel title={t("apis.title")}>
        <p className="text-sm text-muted">{t("apis.empty")}</p>
      </Panel>
    );
  }
  return (
    <>
      {data.items.map((api) => (
        <Panel
          key={api.name}
          title={api.name}
          bodyClassName=""
          actions={
            <span className="text-xs text-muted">
              {t("apis.onlineOf", {
                online: format.number(api.online),
                total: format.number(api.instances.length),
              })}
            </span>
          }
        >
          <div className="overflow-x-auto">
            <Instances api={api} />
          </div>
          <div className="overflow-x-auto border-t border-line">
            <Routes api={api} />
          </div>
        </Panel>
      ))}
    </>
  );
}

export function ApisPage() {
  const { t } = useTranslation();
  return (
    <div className="flex flex-col gap-4">
      <PageHeader title={t("apis.title")}>
        <p className="text-sm text-muted">{t("apis.window", { hours: API_LIST_HOURS })}</p>
      </PageHeader>
      <ApiPanels />
      <Panel title={t("apis.recent")} bodyClassName="">
        <RecentRequests api={null} />
      </Panel>
    </div>
  );
}
