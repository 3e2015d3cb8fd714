/**
 * The server's logger: readable lines on a terminal, else pino JSON, with Elastic Common Schema
 * field names when UPNEXT_LOG_FORMAT=ecs (docs/observability.md#log-format). Fastify adds the
 * request id to every line of a request as `reqId`. No line carries a credential: headers are not
 * logged and URLs lose their credential params.
 */
import { prettyDestination, resolveLogFormat, type LogFormat } from "@upnext/core";
import { pino, type Logger, type LoggerOptions } from "pino";
import { withoutCredentials } from "./credential-params.js";

const redact = { paths: ["req.headers.authorization", "req.headers.cookie"], censor: "[redacted]" };

/**
 * The request as a log line shows it: the URL without credentials in its query (`?token=`,
 * `?ticket=` of the live streams), never the headers.
 */
function requestFields(request: {
  readonly method?: string;
  readonly url?: string;
  readonly ip?: string;
  readonly socket?: { readonly remoteAddress?: string };
}) {
  return {
    method: request.method,
    url: withoutCredentials(request.url ?? ""),
    remoteAddress: request.ip ?? request.socket?.remoteAddress,
  };
}
const serializers = { req: requestFields };

export function createServerLogger(level: string, format: LogFormat): Logger {
  const resolved = resolveLogFormat(format, process.stdout.isTTY);
  if (resolved === "pretty")
    return pino(
      { level, redact, serializers },
      prettyDestination(process.stdout, process.env.NO_COLOR !== undefined),
    );
  return pino(serverLoggerOptions(level, resolved));
}

export function serverLoggerOptions(level: string, format: "json" | "ecs"): LoggerOptions {
  if (format === "json") return { level, redact, serializers };
  return {
    level,
    redact,
    serializers,
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
