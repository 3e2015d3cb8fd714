import { Link } from "@tanstack/react-router";
import type { Schedule } from "@upnext/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useScheduleAction } from "../../api/mutations.js";
import { useSchedules } from "../../api/queries.js";
import { Button } from "../../components/button.js";
import { ConfirmDialog } from "../../components/confirm-dialog.js";
import { PageHeader } from "../../components/page-header.js";
import { Panel } from "../../components/panel.js";
import { StatusBadge } from "../../components/status-badge.js";
import { TimeText } from "../../components/time-text.js";
import { useFormatters } from "../../i18n/use-formatters.js";

function ScheduleActions({ schedule }: { readonly schedule: Schedule }) {
  const { t } = useTranslation();
  const action = useScheduleAction();
  const [removing, setRemoving] = useState(false);
  const run = (kind: "pause" | "resume" | "trigger" | "remove") => {
    action.mutate({ name: schedule.name, action: kind });
  };
  return (
    <div className="flex flex-wrap justify-end gap-2">
      <Button
        disabled={action.isPending}
        aria-label={`${schedule.paused ? t("schedules.resume") : t("schedules.pause")} ${schedule.name}`}
        onClick={() => {
          run(schedule.paused ? "resume" : "pause");
        }}
      >
        {schedule.paused ? t("schedules.resume") : t("schedules.pause")}
      </Button>
      <Button
        disabled={action.isPending}
        aria-label={`${t("schedules.trigger")} ${schedule.name}`}
        onClick={() => {
          run("trigger");
        }}
      >
        {t("schedules.trigger")}
      </Button>
      <Button
        tone="danger"
        disabled={action.isPending}
        aria-label={`${t("schedules.remove")} ${schedule.name}`}
        onClick={() => {
          setRemoving(true);
        }}
      >
        {t("schedules.remove")}
      </Button>
      <ConfirmDialog
        open={removing}
        title={t("schedules.remove")}
        confirmLabel={t("schedules.remove")}
        onCancel={() => {
          setRemoving(false);
        }}
        onConfirm={() => {
          setRemoving(false);
          run("remove");
        }}
      >
        {t("schedules.removeConfirm", { name: schedule.name })}
      </ConfirmDialog>
    </div>
  );
}

function SchedulesTable() {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data } = useSchedules();
  if (data.items.length === 0) return <p className="p-4 text-sm text-muted">{t("schedules.empty")}</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm" aria-label={t("schedules.table")}>
        <thead className="bg-panel-head text-left text-xs text-muted">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("schedules.name")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("schedules.cron")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("schedules.nextRuns")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("schedules.lastOutcome")}
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              {t("schedules.missedRuns")}
            </th>
            <th scope="col" className="px-3 py-2 text-right font-medium">
              {t("schedules.runs")}
            </th>
            <th scope="col" className="px-3 py-2">
              <span className="sr-only">{t("common.details")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {data.items.map((schedule) => (
            <tr key={schedule.name} className="border-t border-line align-top">
              <td className="px-3 py-2">
                <div className="font-medium text-fg">{schedule.name}</div>
                <div className="text-xs text-muted">
                  <Link
                    to="/functions/$name"
                    params={{ name: schedule.task }}
                    className="text-accent-text hover:underline"
                  >
                    {schedule.task}
                  </Link>
                  {" · "}
                  {t("schedules.source")}: {schedule.source}
                  {schedule.paused ? (
                    <span className="ml-2 rounded bg-warn-soft px-1.5 text-warn">
                      {t("schedules.paused")}
                    </span>
                  ) : null}
                </div>
              </td>
              <td className="px-3 py-2 font-mono text-xs">
                {schedule.cron}
                <div className="text-muted">{schedule.timezone}</div>
              </td>
              <td className="px-3 py-2 text-xs">
                {schedule.nextSlot === null ? (
                  t("common.none")
                ) : (
                  <>
                    <TimeText iso={schedule.nextSlot} />
                    <div className="text-muted">{format.dateTime(schedule.nextSlot)}</div>
                  </>
                )}
              </td>
              <td className="px-3 py-2 text-xs">
                {schedule.lastRun === null ? (
                  t("common.none")
                ) : (
                  <div className="flex flex-col gap-1">
                    <StatusBadge status={schedule.lastRun.status} />
                    <Link
                      to="/jobs/$jobId"
                      params={{ jobId: schedule.lastRun.id }}
                      className="font-mono text-accent-text hover:underline"
                    >
                      <TimeText iso={schedule.lastRun.slot} />
                    </Link>
                  </div>
                )}
              </td>
              <td className="px-3 py-2 text-xs">
                {t(`schedules.policy.${schedule.missedRuns}`)}
                <div className="text-muted">
                  {t("schedules.overlap")}: {t(`schedules.overlapPolicy.${schedule.overlap}`)} ·{" "}
                  {t("schedules.skipped")}: {format.number(schedule.skippedSlots)}
                </div>
              </td>
              <td className="px-3 py-2 text-right font-mono tabular-nums">{format.number(schedule.runs)}</td>
              <td className="px-3 py-2">
                <ScheduleActions schedule={schedule} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function SchedulesPage() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t("schedules.title")} />
      <Panel title={t("schedules.title")} bodyClassName="">
        <SchedulesTable />
      </Panel>
    </>
  );
}
