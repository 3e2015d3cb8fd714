import { useTranslation } from "react-i18next";
import { type Formatters, formattersFor } from "./format.js";

/** The formatters of the language the UI shows now; they change when the language does. */
export function useFormatters(): Formatters {
  const { i18n } = useTranslation();
  return formattersFor(i18n.language);
}
