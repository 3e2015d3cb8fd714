import { Link } from "@tanstack/react-router";
import type { FunctionSummary } from "@upnext/core";
import { useTranslation } from "react-i18next";
import { useSetFunctionPaused } from "../../api/mutations.js";
import { useFunctions } from "../../api/queries.js";
import { Button } from "../../components/button.js";
import { PageHeader } from "../../components/page-header.js";
import { Panel } from "../../components/panel.js";
import { useFormatters } from "../../i18n/use-formatters.js";

export function PauseButton({ name, paused }: { readonly name: string; readonly paused: boolean }) {
  const { t } = useTranslation();
  const mutation = useSetFunctionPaused();
  return (
    <Button
      disabled={mutation.isPending}
      aria-label={`${paused ? t("functions.resume") : t("functions.pause")} ${name}`}
      onClick={() => {
        mutation.mutate({ name, paused: !paused });
      }}
    >
      {paused ? t("functions.resume") : t("functions.pause")}
    </Button>
  );
}

export function FunctionState({ fn }: { readonly fn: Pick<FunctionSummary, "paused" | "registered"> }) {
  const { t } = useTranslation();
  if (fn.paused)
    return (
      <span className="rounded bg-warn-soft px-2 py-0.5 text-xs font-medium text-warn">
        {t("functions.paused")}
      </span>
    );
  if (!fn.registered) return <span className="text-xs text-muted">{t("functions.unregistered")}</span>;
  return (
    <span className="rounded bg-ok-soft px-2 py-0.5 text-xs font-medium text-ok">
      {t("functions.running")}
    </span>
  );
}

function FunctionsTable() {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data } = useFunctions();
  const dash = t("common.none");
  if (data.items.length === 0) return <p className="p-4 text-sm text-muted">{t("functions.empty")}</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm" aria-label={t("functions.table")}>
        <thead className="bg-panel-head text-left text-xs text-muted">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("functions.name")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("functions.state")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("functions.kind")}
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              {t("functions.runs")}
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              {t("functions.successRate")}
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              {t("functions.avgDuration")}
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              {t("functions.p95Duration")}
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              {t("functions.queueWait")}
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              {t("functions.timeout")}
            </th>
            <th scope="col" className="px-3 py-2">
              <span className="sr-only">{t("functions.pause")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {data.items.map((fn) => (
            <tr key={fn.name} className="border-t border-line">
              <td className="px-3 py-2">
                <Link
                  to="/functions/$name"
                  params={{ name: fn.name }}
                  className="font-medium text-accent-text hover:underline"
                >
                  {fn.name}
                </Link>
              </td>
              <td className="px-3 py-2">
                <FunctionState fn={fn} />
              </td>
              <td className="px-3 py-2">{fn.kind ?? dash}</td>
              <td className="px-3 py-2 text-right font-mono tabular-nums">
                {format.number(fn.metrics.runs)}
              </td>
              <td className="px-3 py-2 text-right font-mono tabular-nums">
                {fn.metrics.successRate === null ? dash : format.percent(fn.metrics.successRate)}
              </td>
              <td className="px-3 py-2 text-right font-mono tabular-nums">
                {fn.metrics.avgDurationMs === null ? dash : format.duration(fn.metrics.avgDurationMs)}
              </td>
              <td className="px-3 py-2 text-right font-mono tabular-nums">
                {fn.metrics.p95DurationMs === null ? dash : format.duration(fn.metrics.p95DurationMs)}
              </td>
              <td className="px-3 py-2 text-right font-mono tabular-nums">
                {fn.metrics.avgQueueWaitMs === null ? dash : format.duration(fn.metrics.avgQueueWaitMs)}
              </td>
              <td className="px-3 py-2 text-right font-mono tabular-nums">
                {fn.timeoutMs === null ? dash : format.duration(fn.timeoutMs)}
              </td>
              <td className="px-3 py-2 text-right">
                {fn.registered ? <PauseButton name={fn.name} paused={fn.paused} /> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function FunctionsPage() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t("functions.title")} />
      <Panel title={t("functions.title")} bodyClassName="">
        <FunctionsTable />
      </Panel>
    </>
  );
}
