/**
 * `upnext health --url <worker endpoint>`: asks a worker's health endpoint whether it is ready
 * (`/ready`) or alive (`/health`, with --live) and exits 0 or 1 accordingly, for container probes
 * in images that have no curl. A URL or timeout that cannot work is a usage error (exit 2).
 */
import { parseDuration } from "@upnext/core";
import { getConfig } from "../runtime/process-config.js";
import type { Command } from "commander";
import { CliError, EXIT_FAILURE, messageOf } from "./cli-error.js";

export interface HealthFlags {
  readonly url: string;
  readonly live?: boolean;
  /** Default UPNEXT_WORKER_HTTP_TOKEN. */
  readonly token?: string;
  readonly timeout?: string;
}

export interface HealthIo {
  readonly stdout: (line: string) => void;
}

const defaultIo: HealthIo = {
  stdout: (line) => {
    process.stdout.write(`${line}\n`);
  },
};

/** The URL to ask: the given one, or its `/ready` (`/health`) when it names only the endpoint's root. */
export function probeUrl(given: string, live: boolean): URL {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new CliError(
      `--url ${JSON.stringify(given)} is not a URL; give the worker's endpoint, e.g. http://127.0.0.1:9464.`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new CliError(`--url ${JSON.stringify(given)} is not an http:// or https:// URL.`);
  if (url.pathname === "/" || url.pathname === "") url.pathname = live ? "/health" : "/ready";
  return url;
}

/** " (redis: connection refused; ...)" from a /ready answer's failed checks, or "". */
function describeBody(body: unknown): string {
  if (typeof body !== "object" || body === null) return "";
  const { failed, checks } = body as { failed?: unknown; checks?: unknown };
  if (!Array.isArray(failed) || failed.length === 0) return "";
  const byName = (typeof checks === "object" && checks !== null ? checks : {}) as Record<
    string,
    { detail?: unknown } | undefined
  >;
  const details = failed.map((name) => {
    const detail = byName[String(name)]?.detail;
    return typeof detail === "string" && detail.length > 0 ? `${String(name)}: ${detail}` : String(name);
  });
  return ` (${details.join("; ")})`;
}

export async function checkHealth(flags: HealthFlags, io: HealthIo = defaultIo): Promise<void> {
  const url = probeUrl(flags.url, flags.live === true);
  const timeoutMs = parseDuration(flags.timeout ?? "5s", "--timeout");
  if (timeoutMs <= 0) throw new CliError("--timeout must be longer than zero, e.g. 5s.");
  const token = flags.token ?? getConfig().workerHttpToken;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: token.length > 0 ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const reason =
      error instanceof Error && error.name === "TimeoutError"
        ? `no answer within ${flags.timeout ?? "5s"}`
        : messageOf(cause ?? error);
    throw new CliError(`${url.href} did not answer: ${reason}.`, EXIT_FAILURE, { cause: error });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  if (response.status === 401) {
    throw new CliError(
      `${url.href} answered 401: the endpoint needs a token; give --token or set UPNEXT_WORKER_HTTP_TOKEN.`,
      EXIT_FAILURE,
    );
  }
  if (!response.ok) {
    const what = flags.live === true ? "not alive" : "not ready";
    throw new CliError(
      `${url.href} answered ${String(response.status)}: ${what}${describeBody(body)}.`,
      EXIT_FAILURE,
    );
  }
  const status = (body as { status?: unknown } | undefined)?.status;
  io.stdout(`${url.href}: ${typeof status === "string" ? status : `HTTP ${String(response.status)}`}`);
}

export function registerHealthCommand(program: Command): void {
  program
    .command("health")
    .description("Exit 0 when a worker's health endpoint says it is ready (or alive, with --live), else 1")
    .requiredOption(
      "--url <url>",
      "the worker's endpoint (UPNEXT_WORKER_HTTP_PORT), e.g. http://127.0.0.1:9464",
    )
    .option("--live", "ask /health (liveness) instead of /ready")
    .option("--token <token>", "bearer token (default: UPNEXT_WORKER_HTTP_TOKEN)")
    .option("--timeout <duration>", "how long to wait for the answer (default 5s)")
    .action(async (flags: HealthFlags) => {
      await checkHealth(flags);
    });
}
