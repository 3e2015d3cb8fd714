import { useTranslation } from "react-i18next";
import { ScrollRegion } from "./scroll-region.js";

/** Pretty JSON in a scrollable block; long values scroll instead of stretching the page. */
export function JsonView({
  value,
  maxHeight = "20rem",
  label,
}: {
  readonly value: unknown;
  readonly maxHeight?: string;
  readonly label?: string;
}) {
  const { t } = useTranslation();
  if (value === null || value === undefined) return <p className="text-sm text-muted">{t("job.nothing")}</p>;
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return (
    <ScrollRegion
      label={label ?? t("common.details")}
      className="rounded-md border border-line bg-bg"
      style={{ maxHeight }}
    >
      <pre className="p-3 font-mono text-xs text-fg">{text}</pre>
    </ScrollRegion>
  );
}
