/** What the history knows about one job: its state, timing, lineage and payloads. */
import { Link } from "@tanstack/react-router";
import type { JobDetail, JobStatus } from "@upnext/core";
import { isCancellable } from "@upnext/core/rules";
import { useTranslation } from "react-i18next";
import { useCancelJob, useRetryJob } from "../../api/mutations.js";
import { Button } from "../../components/button.js";
import { ConfirmDialog } from "../../components/confirm-dialog.js";
import { Field, Fields } from "../../components/fields.js";
import { JsonView } from "../../components/json-view.js";
import { JobOriginLink, rerunOf } from "./job-origin.js";
import { ProgressBar } from "../../components/progress-bar.js";
import { StatusBadge } from "../../components/status-badge.js";
import { TimeText } from "../../components/time-text.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import { useState } from "react";

/** The states the server accepts a cancel in; retry takes failed and cancelled jobs. */
const RETRYABLE: ReadonlySet<JobStatus> = new Set(["failed", "cancelled"]);

export function JobActions({ job }: { readonly job: JobDetail }) {
  const { t } = useTranslation();
  const cancel = useCancelJob();
  const retry = useRetryJob();
  const [confirming, setConfirming] = useState(false);
  return (
    <>
      {isCancellable(job.status) ? (
        <Button
          tone="danger"
          disabled={cancel.isPending}
          onClick={() => {
            setConfirming(true);
          }}
        >
          {t("job.cancel")}
        </Button>
      ) : null}
      {RETRYABLE.has(job.status) ? (
        <Button
          tone="primary"
          disabled={retry.isPending}
          onClick={() => {
            retry.mutate(job.id);
          }}
        >
          {t("job.retry")}
        </Button>
      ) : null}
      <ConfirmDialog
        open={confirming}
        title={t("job.cancel")}
        confirmLabel={t("job.cancel")}
        busy={cancel.isPending}
        onCancel={() => {
          setConfirming(false);
        }}
        onConfirm={() => {
          setConfirming(false);
          cancel.mutate(job.id);
        }}
      >
        {t("job.cancelConfirm", { id: job.id })}
      </ConfirmDialog>
    </>
  );
}

export function JobSummaryFields({ job }: { readonly job: JobDetail }) {
  const { t } = useTranslation();
  const format = useFormatters();
  const dash = t("common.none");
  return (
    <div className="flex flex-col gap-4">
      {job.status === "active" || job.progress > 0 ? (
        <div>
          <div className="mb-1 text-xs text-muted">{t("job.progress")}</div>
          <ProgressBar value={job.progress} label={job.progressMessage ?? undefined} />
          {job.progressMessage === null ? null : (
            <p className="mt-1 text-sm text-fg">{job.progressMessage}</p>
          )}
        </div>
      ) : null}
      <Fields>
        <Field label={t("job.status")}>
          <StatusBadge status={job.status} />
          {job.failureReason === null ? null : (
            <span className="ml-2 text-xs text-muted">{job.failureReason}</span>
          )}
        </Field>
        <Field label={t("job.function")}>
          <Link
            to="/functions/$name"
            params={{ name: job.function }}
            className="text-accent-text hover:underline"
          >
            {job.function}
          </Link>
        </Field>
        <Field label={t("job.kind")}>{t(`kind.${job.kind}`)}</Field>
        {rerunOf(job.origin) === null ? null : (
          <Field label={t("job.origin")}>
            <JobOriginLink origin={job.origin} />
          </Field>
        )}
        <Field label={t("job.attempts")}>
          {job.maxAttempts === null
            ? job.attempt
            : t("job.attemptOf", { attempt: job.attempt, max: job.maxAttempts })}
          <span className="ml-2 text-xs text-muted">
            {t("job.deliveries")}: {job.deliveries}
          </span>
        </Field>
        <Field label={t("job.priority")}>{job.priority}</Field>
        <Field label={t("job.worker")}>
          {job.workerId === null ? (
            dash
          ) : (
            <Link
              to="/workers/$workerId"
              params={{ workerId: job.workerId }}
              className="font-mono text-xs text-accent-text hover:underline"
            >
              {job.workerId}
            </Link>
          )}
        </Field>
        <Field label={t("job.created")}>
          <TimeText iso={job.createdAt} />
        </Field>
        {job.scheduledAt === null ? null : (
          <Field label={t("job.scheduled")}>
            <TimeText iso={job.scheduledAt} />
          </Field>
        )}
        <Field label={t("job.started")}>
          <TimeText iso={job.startedAt} />
        </Field>
        <Field label={t("job.finished")}>
          <TimeText iso={job.finishedAt} />
        </Field>
        <Field label={t("job.queueWait")}>
          {job.queueWaitMs === null ? dash : format.duration(job.queueWaitMs)}
        </Field>
        <Field label={t("job.duration")}>
          {job.durationMs === null ? dash : format.duration(job.durationMs)}
        </Field>
        {job.schedule === null ? null : <Field label={t("job.schedule")}>{job.schedule}</Field>}
        {job.eventName === null ? null : <Field label={t("job.event")}>{job.eventName}</Field>}
        {job.idempotencyKey === null ? null : (
          <Field label={t("job.idempotencyKey")}>
            <span className="font-mono text-xs">{job.idempotencyKey}</span>
          </Field>
        )}
        <Field label={t("job.parent")}>
          {job.parentId === null ? (
            dash
          ) : (
            <Link
              to="/jobs/$jobId"
              params={{ jobId: job.parentId }}
              className="font-mono text-xs text-accent-text hover:underline"
            >
              {job.parentId}
            </Link>
          )}
        </Field>
        {job.rootId === job.id ? null : (
          <Field label={t("job.root")}>
            <Link
              to="/jobs/$jobId"
              params={{ jobId: job.rootId }}
              className="font-mono text-xs text-accent-text hover:underline"
            >
              {job.rootId}
            </Link>
          </Field>
        )}
        {job.dependsOn.length === 0 ? null : (
          <Field label={t("job.dagParents")}>
            <ul className="flex flex-col gap-1">
              {job.dependsOn.map((id) => {
                const link = job.dagParents.find((parent) => parent.id === id);
                return (
                  <li key={id} className="flex items-center gap-2">
                    <Link
                      to="/jobs/$jobId"
                      params={{ jobId: id }}
                      className="font-mono text-xs text-accent-text hover:underline"
                    >
                      {link?.function ?? id}
                    </Link>
                    {link === undefined ? null : <StatusBadge status={link.status} />}
                  </li>
                );
              })}
            </ul>
          </Field>
        )}
        <Field label={t("job.children")}>{format.number(job.childrenCount)}</Field>
        <Field label={t("job.tags")}>
          {Object.keys(job.tags).length === 0 ? (
            dash
          ) : (
            <ul className="flex flex-wrap gap-1">
              {Object.entries(job.tags).map(([key, value]) => (
                <li key={key} className="rounded bg-neutral-soft px-1.5 py-0.5 font-mono text-xs">
                  {key}:{value}
                </li>
              ))}
            </ul>
          )}
        </Field>
      </Fields>
    </div>
  );
}

export function JobOutcome({ job }: { readonly job: JobDetail }) {
  const { t } = useTranslation();
  if (job.error !== null) {
    return (
      <div className="flex flex-col gap-2">
        <p className="font-mono text-sm text-danger">
          {job.error.name}: {job.error.message}
          {job.error.code === undefined ? "" : ` (${job.error.code})`}
        </p>
        {job.error.stack === undefined ? null : (
          <details open>
            <summary className="cursor-pointer text-sm text-muted">{t("job.stack")}</summary>
            <JsonView value={job.error.stack} />
          </details>
        )}
      </div>
    );
  }
  return <JsonView value={job.result} />;
}

export function JobCheckpoint({ job }: { readonly job: JobDetail }) {
  const { t } = useTranslation();
  if (job.checkpoint === null) return <p className="text-sm text-muted">{t("job.noCheckpoint")}</p>;
  return (
    <div className="flex flex-col gap-1">
      {job.checkpoint.at === null ? null : (
        <p className="text-xs text-muted">
          {t("job.checkpointAt", { time: "" })}
          <TimeText iso={job.checkpoint.at} />
        </p>
      )}
      <JsonView value={job.checkpoint.data} />
    </div>
  );
}
