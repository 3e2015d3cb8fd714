/**
 * The library logs JSON lines (pino). Next to the lifecycle view, the example prints them as one
 * compact line each instead: level, message, and the fields that say which job or worker it was about.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import { bold, clock, dim, red, yellow } from "./terminal-style.js";

const LEVELS: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};
/** Fields every line carries, or that the line already shows. */
const HIDDEN = new Set(["level", "time", "pid", "hostname", "name", "msg", "worker", "workerId"]);

function field(key: string, value: unknown): string {
  if (key === "jobId" && typeof value === "string") return `job=#${value.slice(-6)}`;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return `${key}=${text.length > 80 ? `${text.slice(0, 79)}…` : text}`;
}

function format(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const level = typeof entry.level === "number" ? (LEVELS[entry.level] ?? String(entry.level)) : "log";
  const styled =
    level === "warn" ? yellow(level) : level === "error" || level === "fatal" ? red(level) : level;
  const fields = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => field(key, value));
  const time = typeof entry.time === "number" ? entry.time : Date.now();
  const message = typeof entry.msg === "string" ? entry.msg : "";
  return `${dim(clock(time))}  ${bold("upnext".padEnd(10))}  ${styled} ${message} ${dim(fields.join(" "))}`;
}

/** A pino logger at `level` whose lines are printed compactly on stderr. */
export function compactLogger(level: string): Logger {
  const destination: DestinationStream = {
    write(line: string) {
      process.stderr.write(`${format(line)}\n`);
    },
  };
  return pino({ name: "upnext", level }, destination);
}
