import type { en } from "../i18n/messages-en.js";

export interface NavItem {
  readonly to: string;
  readonly label: keyof typeof en.nav;
  /** Also active for paths below it (/jobs/abc for /jobs); the overview only for itself. */
  readonly exact: boolean;
  readonly icon: string;
}

export const NAV_ITEMS: readonly NavItem[] = [
  { to: "/", label: "overview", exact: true, icon: "M3 12h4v8H3zM10 4h4v16h-4zM17 9h4v11h-4z" },
  { to: "/jobs", label: "jobs", exact: false, icon: "M4 6h16M4 12h16M4 18h10" },
  {
    to: "/functions",
    label: "functions",
    exact: false,
    icon: "M8 4c-2 0-3 1-3 3v3l-2 2 2 2v3c0 2 1 3 3 3M16 4c2 0 3 1 3 3v3l2 2-2 2v3c0 2-1 3-3 3",
  },
  { to: "/workers", label: "workers", exact: false, icon: "M4 5h16v5H4zM4 14h16v5H4zM7 7.5h.01M7 16.5h.01" },
  {
    to: "/schedules",
    label: "schedules",
    exact: false,
    icon: "M12 7v5l3 2M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z",
  },
  { to: "/dead-letters", label: "deadLetters", exact: false, icon: "M4 7l8 6 8-6M4 6h16v12H4z" },
  { to: "/apis", label: "apis", exact: false, icon: "M4 4h16v6H4zM4 14h16v6H4zM8 7h.01M8 17h.01M12 10v4" },
  { to: "/activity", label: "activity", exact: false, icon: "M3 12h4l3-8 4 16 3-8h4" },
];
