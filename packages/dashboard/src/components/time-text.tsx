import { useSyncExternalStore } from "react";
import { useFormatters } from "../i18n/use-formatters.js";

/** One shared clock for every relative time on the page, ticking once per interval. */
const TICK_MS = 5_000;
/** Clocks of workers and browsers differ a little; within this a future time is still "now". */
const CLOCK_SLACK_MS = 1_000;
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
  // The shared clock lags real time by up to one tick: a moment that just passed is "now", not
  // "in 3 seconds".
  const at = Date.parse(iso);
  const reference = at > current && at - current <= TICK_MS + CLOCK_SLACK_MS ? at : current;
  return (
    <time dateTime={iso} title={format.dateTime(iso)}>
      {format.relative(iso, reference)}
    </time>
  );
}
