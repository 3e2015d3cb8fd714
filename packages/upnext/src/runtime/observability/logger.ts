import { pino, type Logger } from "pino";
import { getConfig } from "../process-config.js";

export type { Logger };

const roots = new Map<string, Logger>();

/** The process-wide JSON logger for a level (default UPNEXT_LOG_LEVEL). Components take a child of it. */
export function rootLogger(level: string = getConfig().logLevel): Logger {
  let logger = roots.get(level);
  if (!logger) {
    logger = pino({ name: "upnext", level });
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
