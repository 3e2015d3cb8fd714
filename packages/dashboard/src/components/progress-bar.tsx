import { useFormatters } from "../i18n/use-formatters.js";

export function ProgressBar({ value, label }: { readonly value: number; readonly label?: string }) {
  const format = useFormatters();
  const clamped = Math.min(1, Math.max(0, value));
  const text = format.percent(clamped);
  return (
    <div className="flex min-w-24 items-center gap-2">
      <div
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(clamped * 100)}
        aria-valuetext={label === undefined || label === "" ? text : `${text}: ${label}`}
        aria-label={label === undefined || label === "" ? text : label}
        className="h-2 flex-1 overflow-hidden rounded-full bg-neutral-soft"
      >
        <div
          className="h-full rounded-full bg-info transition-[width] duration-300"
          style={{ width: `${clamped * 100}%` }}
        />
      </div>
      <span className="w-10 text-right font-mono text-xs text-muted tabular-nums">{text}</span>
    </div>
  );
}
