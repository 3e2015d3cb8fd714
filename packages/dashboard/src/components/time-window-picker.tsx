/**
 * The window buttons of the overview and function pages (15 min … 7 days). The page keeps the
 * choice in its URL; this only shows it and reports a new one.
 */
import type { TimeWindowName } from "@upnext/core";
import { useTranslation } from "react-i18next";
import { TIME_WINDOW_VALUES } from "../pages/time-window-search.js";

export function TimeWindowPicker({
  value,
  onChange,
}: {
  readonly value: TimeWindowName;
  readonly onChange: (window: TimeWindowName) => void;
}) {
  const { t } = useTranslation();
  return (
    <div
      role="group"
      aria-label={t("window.label")}
      className="inline-flex overflow-hidden rounded border border-line"
    >
      {TIME_WINDOW_VALUES.map((name) => (
        <button
          key={name}
          type="button"
          aria-pressed={name === value}
          onClick={() => {
            onChange(name);
          }}
          className={`px-2.5 py-1 text-xs font-medium ${
            name === value ? "bg-accent text-panel" : "bg-panel text-fg hover:bg-panel-head"
          }`}
        >
          {t(`window.short.${name}`)}
        </button>
      ))}
    </div>
  );
}
