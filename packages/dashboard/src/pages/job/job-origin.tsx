/** Where a job came from when it re-runs another: "replay of #id" or "retry of #id", linked. */
import { Link } from "@tanstack/react-router";
import type { JobOrigin } from "@upnext/core";
import { useTranslation } from "react-i18next";

type Rerun = Extract<JobOrigin, { kind: "replay" | "retry" }>;

/**
 * The API hands the stored origin over as it was recorded (JSON, not re-validated), so narrow it
 * here: anything but a replay or retry with an id shows nothing.
 */
export function rerunOf(origin: unknown): { readonly kind: Rerun["kind"]; readonly id: string } | null {
  if (typeof origin !== "object" || origin === null) return null;
  const { kind, replayOf, retryOf } = origin as Partial<Record<"kind" | "replayOf" | "retryOf", unknown>>;
  if (kind === "replay" && typeof replayOf === "string") return { kind, id: replayOf };
  if (kind === "retry" && typeof retryOf === "string") return { kind, id: retryOf };
  return null;
}

export function JobOriginLink({ origin }: { readonly origin: unknown }) {
  const { t } = useTranslation();
  const rerun = rerunOf(origin);
  if (rerun === null) return null;
  return (
    <Link
      to="/jobs/$jobId"
      params={{ jobId: rerun.id }}
      className="font-mono text-xs text-accent-text hover:underline"
    >
      {t(rerun.kind === "retry" ? "job.retryOf" : "job.replayOf", { id: rerun.id })}
    </Link>
  );
}
