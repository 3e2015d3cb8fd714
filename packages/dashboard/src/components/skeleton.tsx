import { useTranslation } from "react-i18next";

/** A loading placeholder with an accessible name (screen readers hear "Loading…"). */
export function Skeleton({ lines = 3 }: { readonly lines?: number }) {
  const { t } = useTranslation();
  return (
    <div role="status" aria-label={t("app.loading")} className="flex flex-col gap-2">
      {Array.from({ length: lines }, (_, index) => (
        <div
          key={index}
          className="h-4 animate-pulse rounded bg-neutral-soft"
          style={{ width: `${90 - index * 12}%` }}
        />
      ))}
    </div>
  );
}
