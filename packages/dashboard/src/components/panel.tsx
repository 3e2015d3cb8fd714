/**
 * The card every page is built from: a titled section with its own error boundary and its own
 * loading state, so a slow or failing panel never holds up or blanks the others.
 */
import { type ReactNode, Suspense, useId } from "react";
import { PanelBoundary } from "./error-boundary.js";
import { Skeleton } from "./skeleton.js";

export function Panel({
  title,
  actions,
  children,
  className = "",
  bodyClassName = "p-4",
  resetKeys,
  fallback,
}: {
  readonly title: ReactNode;
  readonly actions?: ReactNode;
  readonly children: ReactNode;
  readonly className?: string;
  readonly bodyClassName?: string;
  readonly resetKeys?: readonly unknown[];
  readonly fallback?: ReactNode;
}) {
  const headingId = useId();
  return (
    <section
      aria-labelledby={headingId}
      className={`flex min-w-0 flex-col rounded-lg border border-line bg-panel ${className}`}
    >
      <header className="flex min-h-11 items-center justify-between gap-2 border-b border-line bg-panel-head px-4 py-2">
        <h2 id={headingId} className="text-sm font-semibold text-fg">
          {title}
        </h2>
        {actions === undefined ? null : <div className="flex items-center gap-2">{actions}</div>}
      </header>
      {/* Wide content (a table) scrolls inside the panel, never the page; `relative` keeps
          visually hidden (absolutely positioned) text inside the scroll box too. */}
      {/* Focusable, so a keyboard can scroll it when it overflows (a tab stop per panel). */}
      {/* eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex */}
      <div tabIndex={0} className={`relative min-h-0 min-w-0 flex-1 overflow-x-auto ${bodyClassName}`}>
        <PanelBoundary resetKeys={resetKeys}>
          <Suspense fallback={fallback ?? <Skeleton lines={4} />}>{children}</Suspense>
        </PanelBoundary>
      </div>
    </section>
  );
}
