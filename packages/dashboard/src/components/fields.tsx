import type { ReactNode } from "react";

/** A definition list of label/value pairs, two columns on wide screens. */
export function Fields({ children }: { readonly children: ReactNode }) {
  return (
    <dl className="grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-[max-content_1fr]">{children}</dl>
  );
}

export function Field({ label, children }: { readonly label: ReactNode; readonly children: ReactNode }) {
  return (
    <>
      <dt className="text-muted">{label}</dt>
      <dd className="min-w-0 break-words text-fg">{children}</dd>
    </>
  );
}

/** A headline figure. */
export function Tile({
  label,
  value,
  hint,
}: {
  readonly label: ReactNode;
  readonly value: ReactNode;
  readonly hint?: ReactNode;
}) {
  return (
    <div className="rounded-lg border border-line bg-panel p-3">
      <div className="text-xs text-muted">{label}</div>
      <div className="mt-1 font-mono text-2xl font-semibold text-fg tabular-nums">{value}</div>
      {hint === undefined ? null : <div className="mt-1 text-xs text-muted">{hint}</div>}
    </div>
  );
}
