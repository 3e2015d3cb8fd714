import { getRouteApi } from "@tanstack/react-router";
import { useDeferredValue } from "react";
import { useTranslation } from "react-i18next";
import { hasJobFilters } from "../../api/job-filters.js";
import { JobsTable } from "../../components/jobs/jobs-table.js";
import { PageHeader } from "../../components/page-header.js";
import { Panel } from "../../components/panel.js";
import { JobsFilterForm } from "./jobs-filter-form.js";

const route = getRouteApi("/jobs");

export function JobsPage() {
  const { t } = useTranslation();
  const filters = route.useSearch();
  const navigate = route.useNavigate();
  // While a new filter's first page loads, the previous rows stay on screen.
  const deferred = useDeferredValue(filters);
  const key = JSON.stringify(filters);
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
      <Panel title={t("jobs.title")} bodyClassName="" resetKeys={[key]}>
        <JobsTable
          filters={deferred}
          emptyText={hasJobFilters(filters) ? t("jobs.empty") : t("jobs.emptyAll")}
        />
      </Panel>
    </>
  );
}
