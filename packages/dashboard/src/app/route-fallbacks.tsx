/** What a route shows while its code loads, when it throws, and for an unknown address. */
import { useQueryErrorResetBoundary } from "@tanstack/react-query";
import { type ErrorComponentProps, Link, useLocation, useRouter } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { ErrorView } from "../components/error-boundary.js";
import { Skeleton } from "../components/skeleton.js";

export function RouteError({ error, reset }: ErrorComponentProps) {
  const router = useRouter();
  const queryReset = useQueryErrorResetBoundary();
  return (
    <div className="rounded-lg border border-line bg-panel">
      <ErrorView
        error={error}
        onRetry={() => {
          queryReset.reset();
          reset();
          void router.invalidate();
        }}
      />
    </div>
  );
}

export function RoutePending() {
  return (
    <div className="p-4">
      <Skeleton lines={6} />
    </div>
  );
}

export function NotFoundPage() {
  const { t } = useTranslation();
  const location = useLocation();
  return (
    <div className="flex flex-col items-start gap-3 rounded-lg border border-line bg-panel p-6">
      <h1 className="text-xl font-semibold text-fg">{t("errors.notFoundTitle")}</h1>
      <p className="text-fg">{t("errors.notFoundText", { path: location.pathname })}</p>
      <Link to="/" className="font-medium text-accent-text underline">
        {t("errors.backToOverview")}
      </Link>
    </div>
  );
}
