import type { FailureReason } from "@upnext/core";

export interface DeadLetterSearch {
  readonly function?: string;
  readonly reason?: FailureReason;
}

export const FAILURE_REASON_VALUES = [
  "exception",
  "timeout",
  "cancelled",
  "lost",
  "invalid_input",
  "unknown_function",
  "dependency_failed",
] as const satisfies readonly FailureReason[];

export function validateDeadLetterSearch(search: Record<string, unknown>): DeadLetterSearch {
  const fn =
    typeof search.function === "string" && search.function.trim() !== "" ? search.function.trim() : undefined;
  const reason =
    typeof search.reason === "string" && (FAILURE_REASON_VALUES as readonly string[]).includes(search.reason)
      ? (search.reason as FailureReason)
      : undefined;
  return { ...(fn === undefined ? {} : { function: fn }), ...(reason === undefined ? {} : { reason }) };
}
