/**
 * Numbers, durations, sizes and times formatted for a locale with Intl. One Formatters object per
 * language (cached), so a table of a thousand rows builds its Intl objects once, not per cell.
 */

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const KIB = 1024;
const SIZE_UNITS = ["byte", "kilobyte", "megabyte", "gigabyte", "terabyte"] as const;

export interface Formatters {
  readonly locale: string;
  number(value: number): string;
  /** 1.2K, 3.4M: for tiles and axes. */
  compact(value: number): string;
  /** A 0-1 ratio as a percentage. */
  percent(ratio: number): string;
  duration(ms: number): string;
  bytes(count: number): string;
  dateTime(iso: string): string;
  time(iso: string): string;
  /** The hour label of a chart bucket ("14:00" or "2 PM"). */
  hour(iso: string): string;
  /** A chart bucket of a multi-day window ("Mon 14:00"). */
  dayHour(iso: string): string;
  /** "5 minutes ago", "in 3 hours": relative to `now` (epoch ms). */
  relative(iso: string, now: number): string;
}

const cache = new Map<string, Formatters>();

export function formattersFor(locale: string): Formatters {
  let formatters = cache.get(locale);
  if (formatters === undefined) {
    formatters = createFormatters(locale);
    cache.set(locale, formatters);
  }
  return formatters;
}

function unit(locale: string, name: string, maximumFractionDigits = 0): Intl.NumberFormat {
  return new Intl.NumberFormat(locale, {
    style: "unit",
    unit: name,
    unitDisplay: "short",
    maximumFractionDigits,
  });
}

function createFormatters(locale: string): Formatters {
  const number = new Intl.NumberFormat(locale);
  const compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
  const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  const ms = unit(locale, "millisecond");
  const seconds = unit(locale, "second", 1);
  const wholeSeconds = unit(locale, "second");
  const minutes = unit(locale, "minute");
  const hours = unit(locale, "hour");
  const days = unit(locale, "day");
  const sizes = SIZE_UNITS.map((name) => unit(locale, name, 1));
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium" });
  const time = new Intl.DateTimeFormat(locale, { timeStyle: "medium" });
  const hour = new Intl.DateTimeFormat(locale, { hour: "numeric", minute: "2-digit" });
  const dayHour = new Intl.DateTimeFormat(locale, { weekday: "short", hour: "numeric", minute: "2-digit" });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto", style: "long" });

  function duration(value: number): string {
    if (!Number.isFinite(value)) return "—";
    const abs = Math.abs(value);
    if (abs < SECOND_MS) return ms.format(Math.round(value));
    if (abs < MINUTE_MS) return seconds.format(value / SECOND_MS);
    if (abs < HOUR_MS) {
      const m = Math.floor(abs / MINUTE_MS);
      const s = Math.round((abs % MINUTE_MS) / SECOND_MS);
      return s === 0 ? minutes.format(m) : `${minutes.format(m)} ${wholeSeconds.format(s)}`;
    }
    if (abs < DAY_MS) {
      const h = Math.floor(abs / HOUR_MS);
      const m = Math.round((abs % HOUR_MS) / MINUTE_MS);
      return m === 0 ? hours.format(h) : `${hours.format(h)} ${minutes.format(m)}`;
    }
    const d = Math.floor(abs / DAY_MS);
    const h = Math.round((abs % DAY_MS) / HOUR_MS);
    return h === 0 ? days.format(d) : `${days.format(d)} ${hours.format(h)}`;
  }

  function bytes(count: number): string {
    let value = count;
    let index = 0;
    while (value >= KIB && index < sizes.length - 1) {
      value /= KIB;
      index += 1;
    }
    return (sizes[index] ?? sizes[0])?.format(value) ?? String(count);
  }

  function relativeTime(iso: string, now: number): string {
    const delta = Date.parse(iso) - now;
    if (!Number.isFinite(delta)) return "—";
    const abs = Math.abs(delta);
    if (abs < MINUTE_MS) return relative.format(Math.round(delta / SECOND_MS), "second");
    if (abs < HOUR_MS) return relative.format(Math.round(delta / MINUTE_MS), "minute");
    if (abs < DAY_MS) return relative.format(Math.round(delta / HOUR_MS), "hour");
    return relative.format(Math.round(delta / DAY_MS), "day");
  }

  function safeDate(format: Intl.DateTimeFormat, iso: string): string {
    const at = Date.parse(iso);
    return Number.isFinite(at) ? format.format(at) : "—";
  }

  return {
    locale,
    number: (value) => number.format(value),
    compact: (value) => compact.format(value),
    percent: (ratio) => percent.format(ratio),
    duration,
    bytes,
    dateTime: (iso) => safeDate(dateTime, iso),
    time: (iso) => safeDate(time, iso),
    hour: (iso) => safeDate(hour, iso),
    dayHour: (iso) => safeDate(dayHour, iso),
    relative: relativeTime,
  };
}
