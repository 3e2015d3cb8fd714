/**
 * The frame of every page: a skip link, the navigation, a header with the jump-to-id box, the
 * live-connection state, the language switcher and the theme toggle, and the page itself inside the route's error
 * boundary (the router's errorComponent), so a failing page never takes the navigation with it.
 */
import { Link, Outlet, useRouterState } from "@tanstack/react-router";
import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { Toaster } from "../components/toaster.js";
import { type LanguageCode, LANGUAGES, saveLanguage } from "../i18n/i18n.js";
import { useLive } from "../live/live-context.js";
import { useTheme } from "../theme/theme.js";
import { AuthPrompt } from "./auth-prompt.js";
import { JobIdJump } from "./job-id-jump.js";
import { NAV_ITEMS } from "./nav-items.js";

function NavIcon({ path }: { readonly path: string }) {
  return (
    <svg
      aria-hidden="true"
      viewBox="0 0 24 24"
      className="size-4 shrink-0"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d={path} />
    </svg>
  );
}

function LiveIndicator() {
  const { t } = useTranslation();
  const { status } = useLive();
  const label = status.degraded
    ? t("app.live.degraded")
    : status.state === "open"
      ? t("app.live.open")
      : status.state === "paused"
        ? t("app.live.paused")
        : status.state === "reconnecting"
          ? t("app.live.reconnecting")
          : status.state === "closed"
            ? t("app.live.closed")
            : t("app.live.connecting");
  const healthy = status.state === "open" && !status.degraded;
  return (
    <span role="status" className="flex items-center gap-2 text-xs text-muted" title={label}>
      <span
        aria-hidden="true"
        className={`size-2 rounded-full ${healthy ? "bg-ok" : status.degraded ? "bg-danger" : "bg-warn"}`}
      />
      <span className="hidden sm:inline">{label}</span>
    </span>
  );
}

function LanguageSwitcher() {
  const { t, i18n } = useTranslation();
  return (
    <label className="flex items-center gap-2 text-xs text-muted">
      <span className="sr-only">{t("app.language")}</span>
      <select
        value={i18n.language}
        onChange={(event) => {
          const code = event.target.value as LanguageCode;
          saveLanguage(code);
          void i18n.changeLanguage(code);
        }}
        className="rounded-md border border-line bg-panel px-2 py-1 text-sm text-fg"
      >
        {LANGUAGES.map((language) => (
          <option key={language.code} value={language.code} lang={language.code}>
            {language.label}
          </option>
        ))}
      </select>
    </label>
  );
}

function ThemeToggle() {
  const { t } = useTranslation();
  const { theme, toggle } = useTheme();
  const label = theme === "dark" ? t("app.themeToLight") : t("app.themeToDark");
  return (
    <button
      type="button"
      onClick={toggle}
      aria-label={label}
      title={label}
      className="rounded-md border border-line bg-panel p-1.5 text-fg hover:bg-panel-head"
    >
      <svg
        aria-hidden="true"
        viewBox="0 0 24 24"
        className="size-4"
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
      >
        {theme === "dark" ? (
          <path d="M12 4V2M12 22v-2M4 12H2M22 12h-2M5.6 5.6 4.2 4.2M19.8 19.8l-1.4-1.4M5.6 18.4l-1.4 1.4M19.8 4.2l-1.4 1.4M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8z" />
        ) : (
          <path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" />
        )}
      </svg>
    </button>
  );
}

export function AppLayout() {
  const { t } = useTranslation();
  // Below md the navigation collapses into a menu, closed again by every navigation.
  const [menuOpen, setMenuOpen] = useState(false);
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  const [menuPath, setMenuPath] = useState(pathname);
  if (menuPath !== pathname) {
    setMenuPath(pathname);
    setMenuOpen(false);
  }
  const menuId = useId();
  return (
    <div className="flex min-h-full flex-col md:flex-row">
      <a href="#main" className="skip-link">
        {t("app.skipToContent")}
      </a>
      <nav
        aria-label={t("app.mainNavigation")}
        className="shrink-0 border-b border-line bg-panel md:w-52 md:border-r md:border-b-0"
      >
        <div className="md:sticky md:top-0">
          <div className="flex h-14 items-center gap-2 px-4">
            <svg aria-hidden="true" viewBox="0 0 32 32" className="size-7">
              <rect width="32" height="32" rx="7" fill="var(--c-accent)" />
              <path
                d="M9 8v10a7 7 0 0 0 14 0V8"
                fill="none"
                stroke="var(--c-panel)"
                strokeWidth="4"
                strokeLinecap="round"
              />
            </svg>
            <span className="text-lg font-bold text-fg">{t("app.name")}</span>
            <button
              type="button"
              aria-expanded={menuOpen}
              aria-controls={menuId}
              onClick={() => {
                setMenuOpen(!menuOpen);
              }}
              className="ml-auto rounded-md border border-line px-3 py-1.5 text-sm text-fg hover:bg-panel-head md:hidden"
            >
              {t("app.menu")}
            </button>
          </div>
          <ul id={menuId} className={`${menuOpen ? "flex" : "hidden"} flex-col gap-1 px-2 pb-2 md:flex`}>
            {NAV_ITEMS.map((item) => (
              <li key={item.to}>
                <Link
                  to={item.to}
                  activeOptions={{ exact: item.exact }}
                  className="flex items-center gap-2 rounded-md px-3 py-2 text-sm whitespace-nowrap text-muted hover:bg-panel-head hover:text-fg"
                  activeProps={{
                    className: "bg-accent-soft font-semibold !text-accent-text",
                    "aria-current": "page",
                  }}
                >
                  <NavIcon path={item.icon} />
                  {t(`nav.${item.label}`)}
                </Link>
              </li>
            ))}
          </ul>
        </div>
      </nav>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-20 flex h-14 shrink-0 items-center justify-end gap-3 border-b border-line bg-panel px-4">
          <div className="mr-auto">
            <JobIdJump />
          </div>
          <LiveIndicator />
          <LanguageSwitcher />
          <ThemeToggle />
        </header>
        <AuthPrompt />
        <main id="main" tabIndex={-1} className="min-w-0 flex-1 p-3 focus:outline-none sm:p-4">
          <Outlet />
        </main>
      </div>
      <Toaster />
    </div>
  );
}
