import { getRouteApi } from "@tanstack/react-router";
import { useDeferredValue } from "react";
import { useTranslation } from "react-i18next";
import { hasJobFilters } from "../../api/job-filters.js";
import { JobsTable } from "../../components/jobs/jobs-table.js";
import { PageHeader } from "../../components/page-header.js";
import { Panel } from "../../components/panel.js";
import { JobsBulkActions } from "./jobs-bulk-actions.js";
import { JobsFilterForm } from "./jobs-filter-form.js";
import { useSelection } from "../../components/bulk/use-selection.js";

const route = getRouteApi("/jobs");

export function JobsPage() {
  const { t } = useTranslation();
  const filters = route.useSearch();
  const navigate = route.useNavigate();
  // While a new filter's first page loads, the previous rows stay on screen.
  const deferred = useDeferredValue(filters);
  const key = JSON.stringify(filters);
  const selection = useSelection(key);
  return (
    <>
      <PageHeader title={t("jobs.title")} />
      <JobsFilterForm
        key={key}
        filters={filters}
        onApply={(next) => {
          void navigate({ search: next });
        }}
      />
      <JobsBulkActions filters={filters} selection={selection} />
      <Panel title={t("jobs.title")} bodyClassName="" resetKeys={[key]}>
        <JobsTable
          selection={selection}
          filters={deferred}
          emptyText={hasJobFilters(filters) ? t("jobs.empty") : t("jobs.emptyAll")}
        />
      </Panel>
    </>
  );
}
