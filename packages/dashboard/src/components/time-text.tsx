import { useSyncExternalStore } from "react";
import { useFormatters } from "../i18n/use-formatters.js";

/** One shared clock for every relative time on the page, ticking once per interval. */
const TICK_MS = 5_000;
let now = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  timer ??= setInterval(() => {
    now = Date.now();
    for (const each of listeners) each();
  }, TICK_MS);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}

/** A time shown relative to now ("5 minutes ago"), with the exact time on hover and for readers. */
export function TimeText({ iso }: { readonly iso: string | null | undefined }) {
  const format = useFormatters();
  const current = useNow();
  if (iso === null || iso === undefined) return <span className="text-muted">—</span>;
  return (
    <time dateTime={iso} title={format.dateTime(iso)}>
      {format.relative(iso, current)}
    </time>
  );
}
