import { QueryErrorResetBoundary } from "@tanstack/react-query";
import { Link, getRouteApi } from "@tanstack/react-router";
import { Suspense } from "react";
import { useTranslation } from "react-i18next";
import { useJob } from "../../api/queries.js";
import { isNotFound } from "../../api/api-error.js";
import { Button } from "../../components/button.js";
import { ErrorBoundary, ErrorView } from "../../components/error-boundary.js";
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

/**
 * A job the history does not hold (yet: ingest may be a moment behind the live stream) is a
 * message with a Retry, not a broken page; other failures show the usual error.
 */
function JobNotFound({
  jobId,
  error,
  retry,
}: {
  readonly jobId: string;
  readonly error: unknown;
  readonly retry: () => void;
}) {
  const { t } = useTranslation();
  if (!isNotFound(error)) return <ErrorView error={error} onRetry={retry} />;
  return (
    <div role="alert" className="flex flex-col items-start gap-3 rounded-lg border border-line bg-panel p-6">
      <p className="text-fg">{t("job.notFound", { id: jobId })}</p>
      <Button onClick={retry}>{t("errors.retry")}</Button>
      <Link to="/jobs" className="text-accent-text underline">
        {t("nav.jobs")}
      </Link>
    </div>
  );
}

export function JobPage() {
  const { jobId } = route.useParams();
  return (
    <QueryErrorResetBoundary>
      {({ reset }) => (
        <ErrorBoundary
          resetKeys={[jobId]}
          onReset={reset}
          fallback={(error, retry) => <JobNotFound jobId={jobId} error={error} retry={retry} />}
        >
          <Suspense fallback={<Skeleton lines={6} />}>
            <JobHeader jobId={jobId} />
            <JobBody jobId={jobId} />
          </Suspense>
        </ErrorBoundary>
      )}
    </QueryErrorResetBoundary>
  );
}

function JobBody({ jobId }: { readonly jobId: string }) {
  const { t } = useTranslation();
  const keys = [jobId];
  return (
    <div className="flex flex-col gap-4">
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
