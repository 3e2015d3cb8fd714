import { Link } from "@tanstack/react-router";
import { useSyncExternalStore } from "react";
import { useTranslation } from "react-i18next";
import { currentToasts, dismissToast, subscribeToasts } from "./toast-store.js";

const TONE_CLASS = {
  success: "border-ok bg-ok-soft",
  error: "border-danger bg-danger-soft",
  info: "border-info bg-info-soft",
} as const;

export function Toaster() {
  const { t } = useTranslation();
  const toasts = useSyncExternalStore(subscribeToasts, currentToasts, currentToasts);
  return (
    <div
      aria-live="polite"
      className="pointer-events-none fixed right-4 bottom-4 z-50 flex w-96 max-w-[90vw] flex-col gap-2"
    >
      {toasts.map((toast) => (
        <div
          key={toast.id}
          role={toast.tone === "error" ? "alert" : "status"}
          className={`pointer-events-auto flex items-start gap-3 rounded-md border-l-4 p-3 text-sm text-fg shadow-lg ${TONE_CLASS[toast.tone]}`}
        >
          <p className="flex-1">
            {toast.message}
            {toast.action === undefined ? null : (
              <>
                {" "}
                <Link to={toast.action.href} className="font-medium underline">
                  {toast.action.label}
                </Link>
              </>
            )}
          </p>
          <button
            type="button"
            className="rounded px-1 text-muted hover:text-fg"
            aria-label={t("common.close")}
            onClick={() => {
              dismissToast(toast.id);
            }}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
