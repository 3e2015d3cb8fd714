/**
 * Readable log lines: what workers, the CLI and the server print instead of pino's JSON when
 * UPNEXT_LOG_FORMAT is `pretty`, or `auto` and stdout is a terminal (the pino convention: people
 * read a terminal, machines read everything else). One formatter for every package, so a worker's
 * and the server's lines look alike in one terminal (docs/observability.md#log-format).
 */
import type { LogFormat } from "./server-settings.js";

/** What a logger writes: readable lines, pino's JSON, or JSON with ECS field names. */
export type ResolvedLogFormat = "pretty" | "json" | "ecs";

/** `auto` becomes `pretty` on a terminal and `json` anywhere else (a pipe, a file, a collector). */
export function resolveLogFormat(format: LogFormat, isTTY: boolean | undefined): ResolvedLogFormat {
  if (format === "auto") return isTTY === true ? "pretty" : "json";
  return format;
}

const LEVELS: Readonly<Record<number, string>> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** ANSI colour per level; only used when the destination is a terminal. */
const LEVEL_COLOURS: Readonly<Record<string, string>> = {
  TRACE: "\u001b[90m",
  DEBUG: "\u001b[36m",
  INFO: "\u001b[32m",
  WARN: "\u001b[33m",
  ERROR: "\u001b[31m",
  FATAL: "\u001b[35m",
};
const DIM = "\u001b[2m";
const RESET = "\u001b[0m";

/** Fields every pino line carries, or that the line already shows in its own place. */
const SHOWN_ELSEWHERE = new Set(["level", "time", "pid", "hostname", "name", "msg", "message", "v"]);
const LONGEST_VALUE = 200;

function clock(time: unknown): string {
  const date =
    typeof time === "number" ? new Date(time) : typeof time === "string" ? new Date(time) : new Date();
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString().slice(11, 23);
}

function valueText(value: unknown): string {
  const text =
    typeof value === "string"
      ? /[\s"=]/.test(value)
        ? JSON.stringify(value)
        : value
      : JSON.stringify(value);
  return text.length > LONGEST_VALUE ? `${text.slice(0, LONGEST_VALUE - 1)}…` : text;
}

/** An error field (pino serialises `err` as { type, message, stack }): its stack on lines of its own. */
function stackOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const stack = (value as { stack?: unknown }).stack;
  return typeof stack === "string" ? stack : undefined;
}

export interface LogLineOptions {
  /** Colour the level and dim the fields (for a terminal). */
  readonly colour: boolean;
}

/**
 * One pino JSON line as `12:04:05.123 WARN  upnext  message  key=value ...`, with an error's
 * stack indented below it. A line that is not a JSON object is returned unchanged.
 */
export function formatLogLine(line: string, options: LogLineOptions): string {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return line.replace(/\n$/, "");
  }
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return line.replace(/\n$/, "");
  const record = entry as Record<string, unknown>;
  const rawLevel = record.level ?? record["log.level"];
  const level =
    typeof rawLevel === "number"
      ? (LEVELS[rawLevel] ?? String(rawLevel))
      : typeof rawLevel === "string"
        ? rawLevel.toUpperCase()
        : "LOG";
  const message =
    typeof record.msg === "string" ? record.msg : typeof record.message === "string" ? record.message : "";
  const name = typeof record.name === "string" ? record.name : "";
  const stacks: string[] = [];
  const fields = Object.entries(record)
    .filter(([key]) => !SHOWN_ELSEWHERE.has(key) && key !== "log.level" && key !== "@timestamp")
    .map(([key, value]) => {
      const stack = stackOf(value);
      if (stack !== undefined) {
        stacks.push(stack);
        const { stack: _omitted, ...rest } = value as Record<string, unknown>;
        return `${key}=${valueText(rest)}`;
      }
      return `${key}=${valueText(value)}`;
    });
  const time = clock(record.time ?? record["@timestamp"]);
  const paint = (code: string | undefined, text: string) =>
    options.colour && code !== undefined ? `${code}${text}${RESET}` : text;
  const head = [
    paint(DIM, time),
    paint(LEVEL_COLOURS[level], level.padEnd(5)),
    ...(name ? [name] : []),
    message,
  ];
  const tail = fields.length > 0 ? `  ${paint(DIM, fields.join(" "))}` : "";
  const below = stacks.flatMap((stack) => stack.split("\n").map((text) => `    ${paint(DIM, text.trim())}`));
  return [`${head.join(" ")}${tail}`, ...below].join("\n");
}

/** Where a logger's lines go: anything with pino's `write(line)`. */
export interface LineDestination {
  write(line: string): void;
}

/** A stream to print on: process.stdout or process.stderr, say. */
export interface TextStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * A pino destination that prints readable lines on `stream` (synchronously, so lines written
 * just before an exit are not lost). Colour is for a terminal, unless NO_COLOR is set
 * (passed in as `noColor`).
 */
export function prettyDestination(stream: TextStream, noColor: boolean): LineDestination {
  const colour = stream.isTTY === true && !noColor;
  return {
    write(line: string) {
      stream.write(`${formatLogLine(line, { colour })}\n`);
    },
  };
}
