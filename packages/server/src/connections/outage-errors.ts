/**
 * Which errors mean "the dependency is down" (open the circuit, answer 503) rather than "this
 * request was wrong" (a constraint, a bad query: answered as such, the circuit stays closed).
 */

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isRedisOutage(error: unknown): boolean {
  if (NETWORK_CODES.has(codeOf(error) ?? "")) return true;
  if (error instanceof Error && error.name === "MaxRetriesPerRequestError") return true;
  return /Connection is closed|Stream isn't writeable|Command timed out|ECONNREFUSED|ECONNRESET|LOADING|MASTERDOWN|BUSY Redis/.test(
    messageOf(error),
  );
}

// PostgreSQL SQLSTATE classes 08 (connection exception), 53 (insufficient resources),
// 57P01-57P03 (shutdown, crash, cannot connect now).
const POSTGRES_OUTAGE = /^(08|53|57P0[1-3])/;
const SQLITE_OUTAGE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|NOMEM|READONLY|CORRUPT|NOTADB)/;

export function isDatabaseOutage(error: unknown): boolean {
  const code = codeOf(error) ?? "";
  if (NETWORK_CODES.has(code) || POSTGRES_OUTAGE.test(code) || SQLITE_OUTAGE.test(code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|database connection is not open|driver has already been destroyed|timeout exceeded when trying to connect/i.test(
    messageOf(error),
  );
}
