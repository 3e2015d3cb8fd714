import { getRouteApi } from "@tanstack/react-router";
import { Suspense } from "react";
import { useTranslation } from "react-i18next";
import { useJob } from "../../api/queries.js";
import { JsonView } from "../../components/json-view.js";
import { PageHeader } from "../../components/page-header.js";
import { Panel } from "../../components/panel.js";
import { Skeleton } from "../../components/skeleton.js";
import { StatusBadge } from "../../components/status-badge.js";
import { JobArtifacts } from "./job-artifacts.js";
import { JobEvents, JobLogs } from "./job-records.js";
import { JobActions, JobCheckpoint, JobOutcome, JobSummaryFields } from "./job-summary.js";
import { JobTimeline } from "./job-timeline.js";

const route = getRouteApi("/jobs/$jobId");

function JobHeader({ jobId }: { readonly jobId: string }) {
  const { t } = useTranslation();
  const { data: job } = useJob(jobId);
  return (
    <PageHeader title={t("job.title", { id: job.id })} actions={<JobActions job={job} />}>
      <div className="mt-1 flex items-center gap-2 text-sm text-muted">
        <StatusBadge status={job.status} />
        <span>{job.function}</span>
      </div>
    </PageHeader>
  );
}

function JobFields({
  jobId,
  part,
}: {
  readonly jobId: string;
  readonly part: "summary" | "input" | "outcome" | "metadata" | "checkpoint";
}) {
  const { data: job } = useJob(jobId);
  switch (part) {
    case "summary":
      return <JobSummaryFields job={job} />;
    case "input":
      return <JsonView value={job.input} />;
    case "outcome":
      return <JobOutcome job={job} />;
    case "metadata":
      return <JsonView value={Object.keys(job.metadata).length === 0 ? null : job.metadata} />;
    case "checkpoint":
      return <JobCheckpoint job={job} />;
  }
}

export function JobPage() {
  const { t } = useTranslation();
  const { jobId } = route.useParams();
  const keys = [jobId];
  return (
    <div className="flex flex-col gap-4">
      <Suspense fallback={<Skeleton lines={2} />}>
        <JobHeader jobId={jobId} />
      </Suspense>
      <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
        <Panel title={t("job.summary")} resetKeys={keys}>
          <JobFields jobId={jobId} part="summary" />
        </Panel>
        <div className="flex flex-col gap-4">
          <Panel title={`${t("job.result")} / ${t("job.error")}`} resetKeys={keys}>
            <JobFields jobId={jobId} part="outcome" />
          </Panel>
          <Panel title={t("job.input")} resetKeys={keys}>
            <JobFields jobId={jobId} part="input" />
          </Panel>
          <Panel title={t("job.checkpoint")} resetKeys={keys}>
            <JobFields jobId={jobId} part="checkpoint" />
          </Panel>
          <Panel title={t("job.metadata")} resetKeys={keys}>
            <JobFields jobId={jobId} part="metadata" />
          </Panel>
        </div>
      </div>
      <Panel title={t("job.timeline")} resetKeys={keys}>
        <JobTimeline jobId={jobId} />
      </Panel>
      <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
        <Panel title={t("job.logs")} resetKeys={keys}>
          <JobLogs jobId={jobId} />
        </Panel>
        <Panel title={t("job.artifacts")} resetKeys={keys}>
          <JobArtifacts jobId={jobId} />
        </Panel>
      </div>
      <Panel title={t("job.events")} resetKeys={keys}>
        <JobEvents jobId={jobId} />
      </Panel>
    </div>
  );
}
