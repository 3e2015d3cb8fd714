import type { JobStatus } from "@upnext/core";
import { useTranslation } from "react-i18next";

/** Colour and shape both carry the status, so it reads without colour too. */
const STYLE: Record<JobStatus, { className: string; mark: string }> = {
  waiting: { className: "bg-neutral-soft text-neutral", mark: "◌" },
  scheduled: { className: "bg-neutral-soft text-neutral", mark: "◷" },
  queued: { className: "bg-info-soft text-info", mark: "○" },
  active: { className: "bg-info-soft text-info", mark: "◐" },
  retrying: { className: "bg-warn-soft text-warn", mark: "↻" },
  complete: { className: "bg-ok-soft text-ok", mark: "✓" },
  failed: { className: "bg-danger-soft text-danger", mark: "✕" },
  cancelled: { className: "bg-neutral-soft text-neutral", mark: "⊘" },
};

export function StatusBadge({ status }: { readonly status: JobStatus | "missing" }) {
  const { t } = useTranslation();
  if (status === "missing") return <span className="text-muted">—</span>;
  const style = STYLE[status];
  return (
    <span
      className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ${style.className}`}
    >
      <span aria-hidden="true">{style.mark}</span>
      {t(`status.${status}`)}
    </span>
  );
}
