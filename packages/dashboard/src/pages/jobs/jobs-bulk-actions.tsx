/**
 * The jobs list's bulk actions: cancel or retry the selected jobs, or every job matching the
 * page's filters (the server counts only the jobs whose status allows the action). A free-text
 * search cannot be sent as a filter, so "all matching" is offered only without one.
 */
import { useTranslation } from "react-i18next";
import { type JobFilters, jobFiltersToParams, normalizeJobFilters } from "../../api/job-filters.js";
import { BulkActionControl } from "../../components/bulk/bulk-action-control.js";
import type { Selection } from "../../components/bulk/use-selection.js";

/** The page's filters as the bulk endpoints' `filter` (lists as arrays; no free text). */
function bulkFilterOf(filters: JobFilters): Record<string, unknown> | undefined {
  const normalized = normalizeJobFilters(filters);
  if (normalized.q !== undefined) return undefined;
  const params = jobFiltersToParams(normalized);
  const filter: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || key === "q") continue;
    filter[key] = key === "function" ? [value] : value;
  }
  return filter;
}

export function JobsBulkActions({
  filters,
  selection,
}: {
  readonly filters: JobFilters;
  readonly selection: Selection;
}) {
  const { t } = useTranslation();
  const filter = bulkFilterOf(filters);
  return (
    <section aria-label={t("bulk.title")} className="mb-3 flex flex-wrap items-start gap-4">
      <BulkActionControl
        path="/jobs/bulk/cancel"
        label={t("bulk.cancel")}
        idsField="ids"
        selectedIds={selection.ids}
        filter={filter}
        danger
        onFinished={selection.clear}
      />
      <BulkActionControl
        path="/jobs/bulk/retry"
        label={t("bulk.retry")}
        idsField="ids"
        selectedIds={selection.ids}
        filter={filter}
        onFinished={selection.clear}
      />
    </section>
  );
}
