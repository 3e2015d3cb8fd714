/**
 * Errors the CLI reports to a person, and the exit codes they map to. Every command throws
 * instead of exiting, so main.ts is the one place that turns an error into output and a code.
 */

/** The command ran, but what it did failed (a job failed, a wait timed out, an unexpected error). */
export const EXIT_FAILURE = 1;
/** The command could not run as asked (bad arguments, entry file, task name or input): fix the call. */
export const EXIT_USAGE = 2;

export interface CliErrorOptions extends ErrorOptions {
  /** Extra text (a remote stack, say) printed only with --verbose. */
  readonly detail?: string | undefined;
}

export class CliError extends Error {
  readonly detail: string | undefined;

  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
    options: CliErrorOptions = {},
  ) {
    super(message, options);
    this.name = "CliError";
    this.detail = options.detail;
  }
}

/**
 * UpNextError codes that mean the caller asked for something invalid. Matched by code, not by
 * class, so errors thrown by another copy of the library (one the entry file imported) count too.
 */
const USAGE_ERROR_CODES = new Set(["invalid_input", "invalid_option", "unknown_task", "invalid_config"]);

export function errorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

export function isUsageError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && USAGE_ERROR_CODES.has(code);
}

/** Joins a multi-line message (esbuild and zod produce them) so each error stays on one line. */
export function oneLine(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join(" ");
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : String(error);
}
