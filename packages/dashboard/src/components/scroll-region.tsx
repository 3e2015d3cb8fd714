import type { ReactNode } from "react";

/**
 * A scrollable area that keyboard users can reach and scroll: a labelled region that takes focus.
 */
export function ScrollRegion({
  label,
  className,
  style,
  children,
  testId,
}: {
  readonly label: string;
  readonly className?: string;
  readonly style?: React.CSSProperties;
  readonly children: ReactNode;
  readonly testId?: string;
}) {
  return (
    <div
      role="region"
      aria-label={label}
      tabIndex={0}
      className={`overflow-auto ${className ?? ""}`}
      style={style}
      data-testid={testId}
    >
      {children}
    </div>
  );
}
