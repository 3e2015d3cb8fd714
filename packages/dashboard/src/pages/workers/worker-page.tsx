import { Link, getRouteApi } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { useWorker } from "../../api/queries.js";
import { Field, Fields } from "../../components/fields.js";
import { JobsTable } from "../../components/jobs/jobs-table.js";
import { PageHeader } from "../../components/page-header.js";
import { Panel } from "../../components/panel.js";
import { TimeText } from "../../components/time-text.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import { WorkerLoad } from "./worker-load.js";
import { OnlineBadge } from "./workers-page.js";

const route = getRouteApi("/workers/$workerId");

function WorkerDetail({ workerId }: { readonly workerId: string }) {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data: worker } = useWorker(workerId);
  return (
    <div className="flex flex-col gap-4">
      <div className="flex items-center gap-2">
        <span className="text-lg font-semibold text-fg">{worker.name}</span>
        <OnlineBadge worker={worker} />
      </div>
      <Fields>
        <Field label={t("workers.host")}>{worker.host}</Field>
        <Field label={t("workers.pid")}>{worker.pid}</Field>
        <Field label={t("workers.concurrency")}>{worker.concurrency}</Field>
        <Field label={t("workers.active")}>
          <WorkerLoad worker={worker} />
        </Field>
        <Field label={t("workers.held")}>{format.number(worker.held)}</Field>
        <Field label={t("workers.completed")}>{format.number(worker.completed)}</Field>
        <Field label={t("workers.failed")}>{format.number(worker.failed)}</Field>
        <Field label={t("workers.started")}>
          <TimeText iso={worker.startedAt} />
        </Field>
        <Field label={t("workers.lastSeen")}>
          <TimeText iso={worker.lastSeenAt} />
        </Field>
        <Field label={t("workers.functions")}>
          <ul className="flex flex-wrap gap-1">
            {worker.functions.map((name) => (
              <li key={name}>
                <Link
                  to="/functions/$name"
                  params={{ name }}
                  className="rounded bg-neutral-soft px-1.5 py-0.5 text-xs text-accent-text hover:underline"
                >
                  {name}
                </Link>
              </li>
            ))}
          </ul>
        </Field>
      </Fields>
    </div>
  );
}

export function WorkerPage() {
  const { t } = useTranslation();
  const { workerId } = route.useParams();
  return (
    <div className="flex flex-col gap-4">
      <PageHeader title={t("workers.name")}>
        <p className="font-mono text-xs text-muted">{workerId}</p>
      </PageHeader>
      <Panel title={t("common.details")} resetKeys={[workerId]}>
        <WorkerDetail workerId={workerId} />
      </Panel>
      <Panel title={t("workers.recentJobs")} resetKeys={[workerId]} bodyClassName="">
        <JobsTable filters={{ workerId }} height="28rem" />
      </Panel>
    </div>
  );
}
