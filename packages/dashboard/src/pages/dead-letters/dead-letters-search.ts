import type { FailureReason } from "@upnext/core";
import { FAILURE_REASONS } from "@upnext/core/rules";

export interface DeadLetterSearch {
  readonly function?: string;
  readonly reason?: FailureReason;
}

/** The filter choices: core's list, so a new failure reason appears here by itself. */
export const FAILURE_REASON_VALUES = FAILURE_REASONS;

export function validateDeadLetterSearch(search: Record<string, unknown>): DeadLetterSearch {
  const fn =
    typeof search.function === "string" && search.function.trim() !== "" ? search.function.trim() : undefined;
  const reason =
    typeof search.reason === "string" && (FAILURE_REASON_VALUES as readonly string[]).includes(search.reason)
      ? (search.reason as FailureReason)
      : undefined;
  return { ...(fn === undefined ? {} : { function: fn }), ...(reason === undefined ? {} : { reason }) };
}
