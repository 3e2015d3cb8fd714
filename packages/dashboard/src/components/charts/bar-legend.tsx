/** The key of a stacked bar: a swatch and a label for each part, in drawing order. */
import { useTranslation } from "react-i18next";

export function BarLegend({ items }: { readonly items: readonly { label: string; color: string }[] }) {
  const { t } = useTranslation();
  return (
    <ul aria-label={t("overview.legend")} className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-muted">
      {items.map((item) => (
        <li key={item.label} className="flex items-center gap-1.5">
          <span aria-hidden="true" className={`inline-block h-2 w-3 rounded-sm ${item.color}`} />
          {item.label}
        </li>
      ))}
    </ul>
  );
}
