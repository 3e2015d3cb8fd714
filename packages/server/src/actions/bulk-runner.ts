/**
 * Runs one bulk action over batches of ids: each id goes through the same call as the single
 * action (so the same rules apply), BULK_CONCURRENCY at a time within a batch. An id whose state
 * forbids the action (a 409 or 404 of the single action) is skipped and reported; an outage (503)
 * or an unexpected error ends the request, and the progress record says how far it got.
 */
import type { BulkAction, BulkActionResult } from "@upnext/core";
import { ApiError } from "../http/api-error.js";
import type { ProgressRecorder } from "./bulk-progress.js";

/** Calls in flight at once within a batch: enough to overlap round trips, few enough to be gentle. */
export const BULK_CONCURRENCY = 16;
/** Ids fetched (and progress recorded) per batch. */
export const BULK_BATCH_SIZE = 200;
const MAX_REPORTED_ERRORS = 20;
const MAX_REPORTED_CREATED = 1_000;

/** The result of acting on one id: the new job of a retry or replay, if any. */
export interface ItemOutcome {
  readonly created?: string;
}

export interface BulkRun {
  readonly action: BulkAction;
  /** How many ids the batches will yield (for the progress record). */
  readonly total: number;
  readonly batches: AsyncIterable<readonly string[]>;
  readonly act: (id: string) => Promise<ItemOutcome>;
  readonly progress: ProgressRecorder;
}

function isSkip(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.statusCode === 409 || error.statusCode === 404);
}

export async function runBulk(run: BulkRun): Promise<BulkActionResult> {
  const result = {
    action: run.action,
    matched: 0,
    succeeded: 0,
    skipped: 0,
    errors: [] as BulkActionResult["errors"],
    created: [] as BulkActionResult["created"],
  };
  await run.progress.update(0, run.total);
  for await (const batch of run.batches) {
    for (let start = 0; start < batch.length; start += BULK_CONCURRENCY) {
      const slice = batch.slice(start, start + BULK_CONCURRENCY);
      const outcomes = await Promise.allSettled(slice.map((id) => run.act(id)));
      outcomes.forEach((outcome, index) => {
        const id = slice[index] ?? "";
        result.matched += 1;
        if (outcome.status === "fulfilled") {
          result.succeeded += 1;
          const created = outcome.value.created;
          if (created !== undefined && result.created.length < MAX_REPORTED_CREATED) {
            result.created.push({ replayOf: id, jobId: created });
          }
          return;
        }
        if (!isSkip(outcome.reason)) throw outcome.reason;
        result.skipped += 1;
        if (result.errors.length < MAX_REPORTED_ERRORS) {
          result.errors.push({ id, code: outcome.reason.code, message: outcome.reason.message });
        }
      });
    }
    await run.progress.update(result.matched, Math.max(run.total, result.matched));
  }
  await run.progress.update(result.matched, Math.max(run.total, result.matched), true);
  return result;
}

/** The ids given, in batches. */
export async function* idBatches(ids: readonly string[]): AsyncIterable<readonly string[]> {
  const unique = [...new Set(ids)];
  for (let start = 0; start < unique.length; start += BULK_BATCH_SIZE) {
    yield unique.slice(start, start + BULK_BATCH_SIZE);
  }
  await Promise.resolve();
}
