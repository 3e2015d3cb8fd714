/**
 * One bulk action's controls: act on the selected rows, or on everything matching the page's
 * filter (after confirming the count the server reports), with the progress while it runs and a
 * summary when it is done. Used by the jobs list (cancel, retry) and dead letters (replay, purge).
 */
import { useTranslation } from "react-i18next";
import type { BulkPath } from "../../api/endpoints.js";
import { useBulkAction } from "../../api/use-bulk-action.js";
import { useFormatters } from "../../i18n/use-formatters.js";
import { Button } from "../button.js";
import { ConfirmDialog } from "../confirm-dialog.js";
import { ErrorView } from "../error-boundary.js";

export interface BulkActionControlProps {
  readonly path: BulkPath;
  /** The action's verb ("Cancel", "Replay"). */
  readonly label: string;
  readonly selectedIds: readonly string[];
  readonly idsField: "ids" | "jobIds";
  /** The filter "all matching" sends; undefined when the page's filter cannot be sent (free text). */
  readonly filter: Record<string, unknown> | undefined;
  readonly extra?: Record<string, unknown>;
  readonly danger?: boolean;
  /** After a run: the selection is cleared. */
  readonly onFinished?: () => void;
}

export function BulkActionControl({
  path,
  label,
  selectedIds,
  idsField,
  filter,
  extra = {},
  danger = false,
  onFinished,
}: BulkActionControlProps) {
  const { t } = useTranslation();
  const format = useFormatters();
  const { state, runIds, countMatching, confirm, reset } = useBulkAction(path);
  const busy = state.phase === "counting" || state.phase === "running";
  const tone = danger ? "danger" : "default";
  return (
    <div className="flex flex-wrap items-center gap-2">
      <Button
        tone={tone}
        disabled={busy || selectedIds.length === 0}
        onClick={() => {
          void runIds(idsField, selectedIds, extra).then(onFinished);
        }}
      >
        {t("bulk.selected", { action: label, count: selectedIds.length })}
      </Button>
      {filter === undefined ? null : (
        <Button
          tone={tone}
          disabled={busy}
          onClick={() => {
            void countMatching(filter, extra);
          }}
        >
          {t("bulk.allMatching", { action: label })}
        </Button>
      )}
      <ConfirmDialog
        open={state.phase === "confirming"}
        title={t("bulk.confirmTitle", { action: label })}
        confirmLabel={t("bulk.confirmButton", {
          action: label,
          count: state.phase === "confirming" ? state.matching : 0,
        })}
        onCancel={reset}
        onConfirm={() => {
          confirm();
          onFinished?.();
        }}
      >
        <p>
          {t("bulk.confirmText", {
            action: label,
            count: state.phase === "confirming" ? state.matching : 0,
          })}
        </p>
      </ConfirmDialog>
      {state.phase === "running" ? (
        <div role="status" className="flex items-center gap-2 text-xs text-muted">
          <progress
            value={state.done}
            max={Math.max(1, state.total)}
            aria-label={t("bulk.progressLabel", { action: label })}
            className="h-2 w-32"
          />
          {t("bulk.progress", {
            action: label,
            done: format.number(state.done),
            total: format.number(state.total),
          })}
        </div>
      ) : null}
      {state.phase === "done" ? (
        <div
          role="status"
          className="flex flex-wrap items-center gap-2 rounded border border-line bg-panel-head px-2 py-1 text-xs"
        >
          <span>
            {t("bulk.summary", {
              action: label,
              succeeded: format.number(state.result.succeeded),
              skipped: format.number(state.result.skipped),
              matched: format.number(state.result.matched),
            })}
          </span>
          {state.result.errors.length === 0 ? null : (
            <details>
              <summary className="cursor-pointer text-accent-text">{t("bulk.why")}</summary>
              <ul className="mt-1 max-w-[36rem] font-mono">
                {state.result.errors.map((error) => (
                  <li key={error.id} className="break-words">
                    {error.id}: {error.message}
                  </li>
                ))}
              </ul>
            </details>
          )}
          <Button onClick={reset} className="px-2 py-0.5 text-xs">
            {t("common.close")}
          </Button>
        </div>
      ) : null}
      {state.phase === "failed" ? (
        <div className="flex items-center gap-2">
          <ErrorView compact error={state.error} />
          <Button onClick={reset} className="px-2 py-0.5 text-xs">
            {t("common.close")}
          </Button>
        </div>
      ) : null}
    </div>
  );
}
