/**
 * The Jobs page's filters. They live in the URL: the form edits a draft and Apply navigates, so
 * a filtered view can be bookmarked, shared, and linked to from the overview's runbook panels.
 */
import type { JobKind, JobStatus } from "@upnext/core";
import { type SyntheticEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import type { JobFilters } from "../../api/job-filters.js";
import { Button } from "../../components/button.js";
import { JOB_KIND_VALUES, JOB_STATUS_VALUES } from "./jobs-search.js";

const INPUT = "rounded-md border border-line bg-panel px-2 py-1.5 text-sm text-fg";

/** datetime-local works in local time without a zone; the URL keeps ISO UTC. */
function toLocalInput(iso: string | undefined): string {
  if (iso === undefined) return "";
  const date = new Date(iso);
  const offset = date.getTimezoneOffset() * 60_000;
  return new Date(date.getTime() - offset).toISOString().slice(0, 16);
}

function fromLocalInput(value: string): string | undefined {
  if (value === "") return undefined;
  const at = new Date(value).getTime();
  return Number.isFinite(at) ? new Date(at).toISOString() : undefined;
}

interface Draft {
  function: string;
  status: readonly JobStatus[];
  kind: readonly JobKind[];
  from: string;
  to: string;
  tag: string;
  q: string;
}

function draftOf(filters: JobFilters): Draft {
  return {
    function: filters.function ?? "",
    status: filters.status ?? [],
    kind: filters.kind ?? [],
    from: toLocalInput(filters.from),
    to: toLocalInput(filters.to),
    tag: (filters.tag ?? []).join(" "),
    q: filters.q ?? "",
  };
}

export function JobsFilterForm({
  filters,
  onApply,
}: {
  readonly filters: JobFilters;
  readonly onApply: (filters: JobFilters) => void;
}) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<Draft>(() => draftOf(filters));
  const set = (key: Exclude<keyof Draft, "status" | "kind">) => (event: { target: { value: string } }) => {
    setDraft((previous) => ({ ...previous, [key]: event.target.value }));
  };
  const toggle = <K extends "status" | "kind">(key: K, value: Draft[K][number]) => {
    setDraft((previous) => {
      const values = previous[key] as readonly string[];
      const next = values.includes(value) ? values.filter((item) => item !== value) : [...values, value];
      return { ...previous, [key]: next };
    });
  };
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const tags = draft.tag.split(/\s+/).filter((tag) => tag !== "");
    onApply({
      ...filters,
      function: draft.function.trim() === "" ? undefined : draft.function.trim(),
      status: draft.status.length === 0 ? undefined : draft.status,
      kind: draft.kind.length === 0 ? undefined : draft.kind,
      from: fromLocalInput(draft.from),
      to: fromLocalInput(draft.to),
      tag: tags.length === 0 ? undefined : tags,
      q: draft.q.trim() === "" ? undefined : draft.q.trim(),
    });
  };
  return (
    <form onSubmit={submit} aria-label={t("jobs.filters")} className="mb-3 flex flex-wrap items-end gap-3">
      <label className="flex flex-col gap-1 text-xs text-muted">
        {t("jobs.text")}
        <input type="search" value={draft.q} onChange={set("q")} className={`${INPUT} w-56`} />
      </label>
      <label className="flex flex-col gap-1 text-xs text-muted">
        {t("jobs.function")}
        <input value={draft.function} onChange={set("function")} className={`${INPUT} w-44`} />
      </label>
      <fieldset className="flex flex-col gap-1 text-xs text-muted">
        <legend className="mb-1">{t("jobs.status")}</legend>
        <div className="flex max-w-full flex-wrap gap-x-3 gap-y-1 text-sm text-fg">
          {JOB_STATUS_VALUES.map((status) => (
            <label key={status} className="flex items-center gap-1">
              <input
                type="checkbox"
                checked={draft.status.includes(status)}
                onChange={() => {
                  toggle("status", status);
                }}
              />
              {t(`status.${status}`)}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset className="flex flex-col gap-1 text-xs text-muted">
        <legend className="mb-1">{t("jobs.kind")}</legend>
        <div className="flex flex-wrap gap-x-3 gap-y-1 text-sm text-fg">
          {JOB_KIND_VALUES.map((kind) => (
            <label key={kind} className="flex items-center gap-1">
              <input
                type="checkbox"
                checked={draft.kind.includes(kind)}
                onChange={() => {
                  toggle("kind", kind);
                }}
              />
              {t(`kind.${kind}`)}
            </label>
          ))}
        </div>
      </fieldset>
      <label className="flex flex-col gap-1 text-xs text-muted">
        {t("jobs.from")}
        <input type="datetime-local" value={draft.from} onChange={set("from")} className={INPUT} />
      </label>
      <label className="flex flex-col gap-1 text-xs text-muted">
        {t("jobs.to")}
        <input type="datetime-local" value={draft.to} onChange={set("to")} className={INPUT} />
      </label>
      <label className="flex flex-col gap-1 text-xs text-muted">
        {t("jobs.tag")}
        <input
          value={draft.tag}
          onChange={set("tag")}
          placeholder="tenant:acme"
          className={`${INPUT} w-40`}
        />
      </label>
      <Button type="submit" tone="primary">
        {t("common.apply")}
      </Button>
      <Button
        onClick={() => {
          setDraft(draftOf({}));
          onApply({});
        }}
      >
        {t("common.clear")}
      </Button>
    </form>
  );
}
