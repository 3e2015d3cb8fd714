import { pino, type Logger } from "pino";
import { prettyDestination, resolveLogFormat } from "@upnext/core";
import { getConfig } from "../process-config.js";

export type { Logger };

const roots = new Map<string, Logger>();

/**
 * A logger writing to `stream`: readable lines when the stream is a terminal, JSON lines
 * otherwise (UPNEXT_LOG_FORMAT switches; see docs/observability.md#log-format).
 */
export function streamLogger(stream: NodeJS.WriteStream, level: string): Logger {
  const format = resolveLogFormat(getConfig().logFormat, stream.isTTY);
  return format === "pretty"
    ? pino({ name: "upnext", level }, prettyDestination(stream, process.env.NO_COLOR !== undefined))
    : pino({ name: "upnext", level }, stream);
}

/** The process-wide logger for a level (default UPNEXT_LOG_LEVEL), on stdout. Components take a child of it. */
export function rootLogger(level: string = getConfig().logLevel): Logger {
  let logger = roots.get(level);
  if (!logger) {
    logger = streamLogger(process.stdout, level);
    roots.set(level, logger);
  }
  return logger;
}

/** Logs at most once per `intervalMs` for each key: for warnings that could otherwise flood. */
export class RateLimitedLog {
  private readonly last = new Map<string, number>();
  constructor(private readonly intervalMs: number) {}

  shouldLog(key: string, now: number = Date.now()): boolean {
    const previous = this.last.get(key);
    if (previous !== undefined && now - previous < this.intervalMs) return false;
    this.last.set(key, now);
    return true;
  }
}
