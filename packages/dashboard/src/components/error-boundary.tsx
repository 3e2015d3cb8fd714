/**
 * Error boundaries: one around every route (the router's errorComponent uses ErrorView) and one
 * around every panel, so a failing panel shows its own message and a Retry button while the rest
 * of the page keeps working. Retry also resets the failed queries below it, so they refetch.
 */
import { QueryErrorResetBoundary } from "@tanstack/react-query";
import { Component, type ErrorInfo, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ApiRequestError, NetworkError } from "../api/api-error.js";

interface BoundaryProps {
  readonly children: ReactNode;
  readonly fallback: (error: unknown, reset: () => void) => ReactNode;
  readonly onReset?: () => void;
  /** When any of these change, a shown error is cleared (e.g. the route's params). */
  readonly resetKeys?: readonly unknown[];
}

interface BoundaryState {
  readonly error: unknown;
  readonly failed: boolean;
  readonly keys: readonly unknown[] | undefined;
}

export class ErrorBoundary extends Component<BoundaryProps, BoundaryState> {
  override state: BoundaryState = { error: undefined, failed: false, keys: this.props.resetKeys };

  static getDerivedStateFromError(error: unknown): Partial<BoundaryState> {
    return { error, failed: true };
  }

  static getDerivedStateFromProps(props: BoundaryProps, state: BoundaryState): Partial<BoundaryState> | null {
    const keys = props.resetKeys;
    const changed =
      keys !== state.keys &&
      (keys?.length !== state.keys?.length ||
        (keys ?? []).some((key, index) => !Object.is(key, state.keys?.[index])));
    if (!changed) return null;
    return state.failed ? { error: undefined, failed: false, keys } : { keys };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error("Dashboard panel failed", error, info.componentStack);
  }

  reset = (): void => {
    this.props.onReset?.();
    this.setState({ error: undefined, failed: false });
  };

  override render(): ReactNode {
    if (this.state.failed) return this.props.fallback(this.state.error, this.reset);
    return this.props.children;
  }
}

export function useErrorText(): (error: unknown) => { message: string; requestId?: string } {
  const { t } = useTranslation();
  return (error: unknown) => {
    if (error instanceof ApiRequestError) {
      if (error.code === "dependency_unavailable")
        return { message: t("errors.unavailable"), requestId: error.requestId };
      return { message: error.message, requestId: error.requestId };
    }
    if (error instanceof NetworkError) return { message: t("errors.network") };
    if (error instanceof Error && error.message !== "") return { message: error.message };
    return { message: t("errors.unknown") };
  };
}

export function ErrorView({
  error,
  onRetry,
  title,
  compact = false,
}: {
  readonly error: unknown;
  readonly onRetry?: () => void;
  readonly title?: string;
  readonly compact?: boolean;
}) {
  const { t } = useTranslation();
  const text = useErrorText()(error);
  return (
    <div role="alert" className={`flex flex-col items-start gap-2 ${compact ? "p-3" : "p-6"}`}>
      <p className="font-semibold text-danger">{title ?? t("errors.title")}</p>
      <p className="text-sm text-fg">{text.message}</p>
      {text.requestId === undefined ? null : (
        <p className="font-mono text-xs text-muted">{t("errors.requestId", { id: text.requestId })}</p>
      )}
      {onRetry === undefined ? null : (
        <button
          type="button"
          onClick={onRetry}
          className="rounded-md border border-line bg-panel px-3 py-1 text-sm font-medium hover:bg-panel-head"
        >
          {t("errors.retry")}
        </button>
      )}
    </div>
  );
}

/** A boundary for one panel: its own error, its own Retry, failed queries below it reset. */
export function PanelBoundary({
  children,
  resetKeys,
}: {
  readonly children: ReactNode;
  readonly resetKeys?: readonly unknown[];
}) {
  const { t } = useTranslation();
  return (
    <QueryErrorResetBoundary>
      {({ reset }) => (
        <ErrorBoundary
          onReset={reset}
          resetKeys={resetKeys}
          fallback={(error, retry) => (
            <ErrorView error={error} onRetry={retry} title={t("errors.panelTitle")} compact />
          )}
        >
          {children}
        </ErrorBoundary>
      )}
    </QueryErrorResetBoundary>
  );
}
