/**
 * The overview's HTTP API tiles over the last hour: requests per minute and the 5xx error rate
 * over every API, the p95 latency of the slowest API (percentiles of different APIs cannot be
 * merged), and the instances online. Shown only once an API has reported, so an installation
 * without HTTP APIs keeps its overview as it was.
 */
import { Link } from "@tanstack/react-router";
import type { ApiList } from "@upnext/core";
import { Suspense } from "react";
import { useTranslation } from "react-i18next";
import { useApis } from "../../api/apis-queries.js";
import { PanelBoundary } from "../../components/error-boundary.js";
import { Tile } from "../../components/fields.js";
import { Panel } from "../../components/panel.js";
import { useFormatters } from "../../i18n/use-formatters.js";

const MINUTES_PER_HOUR = 60;

export interface ApiTotals {
  readonly requestsPerMinute: number;
  /** Share of 5xx answers over all APIs; null without requests. */
  readonly errorRate: number | null;
  /** The highest p95 of any API; null without requests. */
  readonly worstP95Ms: number | null;
  readonly online: number;
  readonly instances: number;
}

export function apiTotals(list: ApiList, windowMinutes = MINUTES_PER_HOUR): ApiTotals {
  let count = 0;
  let errors = 0;
  let worstP95Ms: number | null = null;
  let online = 0;
  let instances = 0;
  for (const api of list.items) {
    count += api.totals.count;
    errors += api.totals.statuses["5xx"];
    if (api.totals.p95Ms !== null) worstP95Ms = Math.max(worstP95Ms ?? 0, api.totals.p95Ms);
    online += api.online;
    instances += api.instances.length;
  }
  return {
    requestsPerMinute: count / windowMinutes,
    errorRate: count === 0 ? null : errors / count,
    worstP95Ms,
    online,
    instances,
  };
}

function ApiTilesPanel() {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data } = useApis(1);
  if (data.items.length === 0) return null;
  const totals = apiTotals(data);
  const dash = t("common.none");
  return (
    <Panel title={t("apis.tilesTitle")} bodyClassName="p-3">
      <div className="grid grid-cols-2 gap-3 xl:grid-cols-4">
        <Tile
          label={t("apis.requestsPerMinute")}
          value={t("overview.perMinute", {
            value: format.number(Math.round(totals.requestsPerMinute * 10) / 10),
          })}
        />
        <Tile
          label={t("apis.errorRate")}
          value={totals.errorRate === null ? dash : format.percent(totals.errorRate)}
        />
        <Tile
          label={t("apis.p95")}
          value={totals.worstP95Ms === null ? dash : format.duration(totals.worstP95Ms)}
        />
        <Tile
          label={t("apis.instancesOnline")}
          value={t("overview.workersOnlineValue", {
            online: format.number(totals.online),
            total: format.number(totals.instances),
          })}
          hint={
            <Link to="/apis" className="underline">
              {t("nav.apis")}
            </Link>
          }
        />
      </div>
    </Panel>
  );
}

export function ApiTiles() {
  return (
    <PanelBoundary>
      <Suspense fallback={null}>
        <ApiTilesPanel />
      </Suspense>
    </PanelBoundary>
  );
}
