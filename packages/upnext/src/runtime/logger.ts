import { pino, type Logger } from "pino";
import { getConfig, prettyDestination, resolveLogFormat } from "@upnext/core";

export type { Logger };

const roots = new Map<string, Logger>();

/**
 * The process-wide logger for a level (default UPNEXT_LOG_LEVEL): readable lines when stdout is
 * a terminal, JSON lines otherwise (UPNEXT_LOG_FORMAT switches). Components take a child of it.
 */
export function rootLogger(level: string = getConfig().logLevel): Logger {
  let logger = roots.get(level);
  if (!logger) {
    const format = resolveLogFormat(getConfig().logFormat, process.stdout.isTTY);
    logger =
      format === "pretty"
        ? pino(
            { name: "upnext", level },
            prettyDestination(process.stdout, process.env.NO_COLOR !== undefined),
          )
        : pino({ name: "upnext", level });
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
