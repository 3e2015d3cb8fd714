import { useTranslation } from "react-i18next";
import { PageHeader } from "../../components/page-header.js";

export function WorkerPage() {
  const { t } = useTranslation();
  return <PageHeader title={t("workers.title")} />;
}
