/**
 * Logger options for the server: pino JSON, with Elastic Common Schema field names when
 * UPNEXT_LOG_FORMAT=ecs. Fastify adds the request id to every line of a request as `reqId`.
 */
import type { LogFormat } from "@upnext/core";
import type { LoggerOptions } from "pino";

export function serverLoggerOptions(level: string, format: LogFormat): LoggerOptions {
  const redact = { paths: ["req.headers.authorization", "req.headers.cookie"], censor: "[redacted]" };
  if (format === "json") return { level, redact };
  return {
    level,
    redact,
    messageKey: "message",
    timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
    formatters: {
      level: (label) => ({ "log.level": label }),
      bindings: (bindings: Record<string, unknown>) => ({
        "process.pid": bindings.pid,
        "host.hostname": bindings.hostname,
      }),
      log: (object) => {
        const { reqId, err, ...rest } = object as { reqId?: unknown; err?: unknown } & Record<
          string,
          unknown
        >;
        return {
          ...rest,
          ...(reqId === undefined ? {} : { "http.request.id": reqId }),
          ...(err instanceof Error
            ? { "error.type": err.name, "error.message": err.message, "error.stack_trace": err.stack }
            : {}),
        };
      },
    },
  };
}
