/**
 * One batch of status-stream entries, from decoding to settling: valid job events are applied
 * in one transaction (each alone when that fails, so one bad event cannot hold back the rest);
 * invalid ones and ones that failed `maxAttempts` deliveries go to the dead-letter stream; the
 * rest are acknowledged, always after the transaction that stored them committed.
 */
import type { Logger } from "pino";
import { isDatabaseOutage } from "../connections/outage-errors.js";
import type { ServerMetrics } from "../observability/server-metrics.js";
import type { HistoryDatabase } from "../store/database.js";
import type { IngestedApiEvent } from "../store/api-history-writer.js";
import { writeBatch } from "./history-writer.js";
import { applyApiEvents } from "./api-applier.js";
import { decodeEntry, rawPayload } from "./entry-decoder.js";
import type { IngestedEvent } from "./job-fold.js";
import type { DeadLetterRecord, StatusStreamConsumer, StreamEntry } from "./stream-consumer.js";

/** A dependency is down: the batch is retried as it is, never counted against its entries. */
export class DependencyDown extends Error {
  constructor(
    readonly dependency: "redis" | "database",
    cause: unknown,
  ) {
    super(`${dependency} is unavailable`, { cause });
  }
}

export interface BatchApplierOptions {
  readonly reader: StatusStreamConsumer;
  readonly database: HistoryDatabase;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly maxAttempts: number;
  readonly onJobsInserted: ((jobIds: string[]) => Promise<void>) | undefined;
  readonly onDatabaseOutage: (error: unknown) => void;
}

export class BatchApplier {
  readonly totals = { stored: 0, duplicates: 0, ignored: 0, deadLettered: 0, batches: 0 };
  /** now - at of the newest event applied, when it was applied (ms). */
  lagMs: number | null = null;

  constructor(private readonly options: BatchApplierOptions) {}

  /**
   * Applies one read of entries and settles each: acknowledged, dead-lettered, or left pending
   * to be delivered again (then `retryPending` is true). Throws DependencyDown on an outage,
   * with nothing settled, so the same entries can be handled again.
   */
  async handle(entries: readonly StreamEntry[], redelivered: boolean): Promise<{ retryPending: boolean }> {
    let retryPending = false;
    const timer = this.options.metrics.ingest.batchDuration.startTimer();
    const deliveries = redelivered
      ? await this.options.reader.deliveryCounts(entries.map((entry) => entry.id))
      : undefined;
    const attemptsOf = (id: string): number => deliveries?.get(id) ?? 1;

    const ack: string[] = [];
    const deadLetters: DeadLetterRecord[] = [];
    const jobEvents: IngestedEvent[] = [];
    const apiEvents: IngestedApiEvent[] = [];
    const payloads = new Map<string, string>();
    let ignored = 0;
    let trimmed = 0;
    for (const entry of entries) {
      const decoded = decodeEntry(entry.id, entry.fields);
      switch (decoded.kind) {
        case "gone":
          trimmed += 1;
          ack.push(entry.id);
          break;
        case "invalid":
          this.options.metrics.ingest.invalid.inc({ reason: decoded.reason });
          deadLetters.push({
            id: entry.id,
            reason: decoded.reason,
            error: decoded.error,
            payload: decoded.raw,
          });
          break;
        case "other":
          ignored += 1;
          ack.push(entry.id);
          break;
        case "api":
        case "job":
          if (attemptsOf(entry.id) > this.options.maxAttempts) {
            deadLetters.push({
              id: entry.id,
              reason: "max_attempts",
              error: `delivered ${attemptsOf(entry.id)} times without being applied (limit ${this.options.maxAttempts})`,
              payload: rawPayload(entry.fields ?? []),
            });
          } else {
            if (decoded.kind === "job") jobEvents.push({ id: entry.id, event: decoded.event });
            else apiEvents.push({ id: entry.id, event: decoded.event });
            payloads.set(entry.id, rawPayload(entry.fields ?? []));
          }
          break;
      }
    }

    const failed = await this.apply(jobEvents);
    const failedIds = new Set(failed.map(({ entry }) => entry.id));
    for (const { id } of jobEvents) if (!failedIds.has(id)) ack.push(id);
    const apiError = await applyApiEvents(this.options.database, apiEvents, (error) => {
      this.options.onDatabaseOutage(error);
      return new DependencyDown("database", error);
    });
    if (apiError === undefined) for (const { id } of apiEvents) ack.push(id);
    else this.options.logger.warn({ err: apiError, events: apiEvents.length }, "API events failed to apply");
    const failedApi = apiError === undefined ? [] : apiEvents.map((entry) => ({ entry, error: apiError }));
    for (const { entry, error } of [...failed, ...failedApi]) {
      if (attemptsOf(entry.id) >= this.options.maxAttempts) {
        deadLetters.push({
          id: entry.id,
          reason: "processing_failed",
          error: `${messageOf(error)} (delivery ${attemptsOf(entry.id)} of ${this.options.maxAttempts})`,
          payload: payloads.get(entry.id) ?? JSON.stringify(entry.event),
        });
      } else {
        // Left pending: delivered again (and counted) after a pause.
        retryPending = true;
      }
    }

    await this.settle(ack, deadLetters);
    this.totals.ignored += ignored;
    if (ignored > 0) this.options.metrics.ingest.events.inc({ result: "ignored" }, ignored);
    if (trimmed > 0) this.options.metrics.ingest.trimmed.inc(trimmed);
    this.totals.batches += 1;
    timer();
    return { retryPending };
  }

  /**
   * Applies the batch in one transaction; when that fails for a reason other than an outage,
   * applies each entry alone so one bad event cannot hold back the others. Returns the entries
   * that failed on their own.
   */
  private async apply(events: readonly IngestedEvent[]): Promise<{ entry: IngestedEvent; error: unknown }[]> {
    if (events.length === 0) return [];
    try {
      await this.write(events);
      return [];
    } catch (error) {
      if (error instanceof DependencyDown) throw error;
      this.options.metrics.ingest.failures.inc({ dependency: "processing" });
      const [only] = events;
      if (events.length === 1 && only !== undefined) return [{ entry: only, error }];
      this.options.logger.warn(
        { err: error, events: events.length },
        "a status-event batch failed; applying its events one by one",
      );
    }
    const failed: { entry: IngestedEvent; error: unknown }[] = [];
    for (const entry of events) {
      try {
        await this.write([entry]);
      } catch (error) {
        if (error instanceof DependencyDown) throw error;
        this.options.logger.warn(
          { err: error, entryId: entry.id, jobId: entry.event.jobId },
          "a status event failed to apply",
        );
        failed.push({ entry, error });
      }
    }
    return failed;
  }

  private async write(events: readonly IngestedEvent[]): Promise<void> {
    let outcome;
    try {
      outcome = await writeBatch(this.options.database, events);
    } catch (error) {
      if (isDatabaseOutage(error)) {
        this.options.onDatabaseOutage(error);
        throw new DependencyDown("database", error);
      }
      throw error;
    }
    this.totals.stored += outcome.stored;
    this.totals.duplicates += outcome.duplicates;
    this.options.metrics.ingest.events.inc({ result: "stored" }, outcome.stored);
    if (outcome.duplicates > 0)
      this.options.metrics.ingest.events.inc({ result: "duplicate" }, outcome.duplicates);
    const newest = events.reduce((max, { event }) => Math.max(max, event.at), 0);
    this.lagMs = Math.max(0, Date.now() - newest);
    this.options.metrics.ingest.lag.set(this.lagMs / 1000);
    if (outcome.insertedJobIds.length > 0 && this.options.onJobsInserted) {
      await this.options.onJobsInserted([...outcome.insertedJobIds]).catch((error: unknown) => {
        this.options.logger.warn(
          { err: error, jobs: outcome.insertedJobIds.length },
          "onJobsInserted failed",
        );
      });
    }
  }

  private async settle(ack: readonly string[], deadLetters: readonly DeadLetterRecord[]): Promise<void> {
    if (deadLetters.length > 0) {
      await this.options.reader.deadLetter(deadLetters);
      this.totals.deadLettered += deadLetters.length;
      for (const record of deadLetters)
        this.options.metrics.ingest.deadLettered.inc({ reason: record.reason });
      this.options.logger.warn(
        { entries: deadLetters.map(({ id, reason }) => ({ id, reason })) },
        "moved status events to the ingest dead-letter stream",
      );
    }
    await this.options.reader.ack(ack);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
