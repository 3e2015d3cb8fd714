/**
 * i18next set up once for the app. The language is the one the person chose (kept in
 * localStorage), else the browser's first supported one, else English.
 */
import i18next from "i18next";
import { initReactI18next } from "react-i18next";
import { de } from "./messages-de.js";
import { en } from "./messages-en.js";

export const LANGUAGES = [
  { code: "en", label: "English" },
  { code: "de", label: "Deutsch" },
] as const;
export type LanguageCode = (typeof LANGUAGES)[number]["code"];

const LANGUAGE_STORAGE_KEY = "upnext.language";
const FALLBACK_LANGUAGE: LanguageCode = "en";

declare module "i18next" {
  interface CustomTypeOptions {
    defaultNS: "translation";
    resources: { translation: typeof en };
  }
}

function isLanguage(value: string | null | undefined): value is LanguageCode {
  return LANGUAGES.some((language) => language.code === value);
}

export function preferredLanguage(saved: string | null, browserLanguages: readonly string[]): LanguageCode {
  if (isLanguage(saved)) return saved;
  for (const tag of browserLanguages) {
    const base = tag.toLowerCase().split("-")[0];
    if (isLanguage(base)) return base;
  }
  return FALLBACK_LANGUAGE;
}

function readSavedLanguage(): string | null {
  try {
    return localStorage.getItem(LANGUAGE_STORAGE_KEY);
  } catch {
    return null;
  }
}

export function saveLanguage(code: LanguageCode): void {
  try {
    localStorage.setItem(LANGUAGE_STORAGE_KEY, code);
  } catch {
    // Private mode or storage disabled: the choice lasts for this page only.
  }
}

export async function initI18n(language?: LanguageCode): Promise<typeof i18next> {
  const lng =
    language ??
    preferredLanguage(readSavedLanguage(), typeof navigator === "undefined" ? [] : navigator.languages);
  await i18next.use(initReactI18next).init({
    lng,
    fallbackLng: FALLBACK_LANGUAGE,
    resources: { en: { translation: en }, de: { translation: de } },
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  syncDocumentLanguage(lng);
  i18next.on("languageChanged", syncDocumentLanguage);
  return i18next;
}

function syncDocumentLanguage(code: string): void {
  if (typeof document !== "undefined") document.documentElement.lang = code;
}

export { i18next };
