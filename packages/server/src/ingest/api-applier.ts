/**
 * The HTTP request-tracking part of an ingest batch (docs/http-apis.md): its events are written
 * in a transaction of their own, after the batch's job events, so a problem with one kind never
 * holds back the other. Both writes are idempotent (store/api-history-writer.ts), so the
 * batch-level retry after an outage repeats nothing.
 */
import { isDatabaseOutage } from "../connections/outage-errors.js";
import { type IngestedApiEvent, writeApiBatch } from "../store/api-history-writer.js";
import type { HistoryDatabase } from "../store/database.js";

/** Thrown for a database outage; otherwise answers the processing error, or undefined when stored. */
export async function applyApiEvents(
  database: HistoryDatabase,
  events: readonly IngestedApiEvent[],
  onOutage: (error: unknown) => Error,
): Promise<unknown> {
  if (events.length === 0) return undefined;
  try {
    await writeApiBatch(database, events);
    return undefined;
  } catch (error) {
    if (isDatabaseOutage(error)) throw onOutage(error);
    return error;
  }
}
