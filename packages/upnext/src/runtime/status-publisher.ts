/**
 * Takes job lifecycle events off the hot path. publish() serialises an event and appends it to a
 * bounded in-memory buffer; a background loop writes the buffer to the status stream in
 * pipelined batches. When the stream is not writable the buffer fills up and the configured
 * overflow strategy decides what gives: the oldest event, the newest one, the publisher
 * (back-pressure) or Redis memory (a spill list that is drained once the stream recovers).
 *
 * Accounting: every published event is counted once, in `written`, `dropped` or `spilled`, or is
 * still `buffered` or blocked; `spillDrained` counts entries this publisher moved from the spill
 * list to the stream, whoever spilled them.
 *
 * Order is publish order, except that events spilled, or put back after a partly failed write,
 * can reach the stream after newer ones; the server orders by each event's `at`.
 *
 * Delivery is at least once: a write whose outcome is unknown (a connection lost mid-pipeline, or
 * a close that times out while a batch is in flight) is retried or spilled, so the stream may hold
 * an event twice.
 */
import type { ChainableCommander, Redis } from "ioredis";
import {
  InvalidOptionError,
  OVERFLOW_STRATEGIES,
  STATUS_EVENT_FIELD,
  UpNextError,
  type OverflowStrategy,
  type StatusEvent,
} from "@upnext/core";
import { defineScripts, runScript } from "../backend/redis/scripts.js";
import { RateLimitedLog, type Logger } from "./logger.js";

export interface StatusPublisherOptions {
  /** Shared client; writes go through pipelines (never MULTI) so they do not block other users. */
  readonly redis: Redis;
  /** namespaceKeys(ns).events */
  readonly streamKey: string;
  /** namespaceKeys(ns).eventsSpill (a Redis list) */
  readonly spillKey: string;
  /** Most events held in memory. */
  readonly capacity: number;
  readonly overflow: OverflowStrategy;
  /** MAXLEN ~ of the stream. */
  readonly maxLen: number;
  /** Most events per pipelined write. */
  readonly batchSize: number;
  readonly logger: Logger;
  /** Base backoff after a failed write (default 100 ms, doubled per failure, capped at 5 s). */
  readonly retryDelayMs?: number;
}

export interface StatusPublisherMetrics {
  readonly buffered: number;
  readonly capacity: number;
  /** buffered / capacity, 0..1. */
  readonly fullness: number;
  readonly written: number;
  readonly dropped: number;
  readonly spilled: number;
  readonly spillDrained: number;
  /** Failed write attempts (one per failed pipeline, not per event). */
  readonly writeErrors: number;
  readonly blockedPublishers: number;
}

const DEFAULT_RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 5_000;
const WARNING_INTERVAL_MS = 30_000;
const FULLNESS_WARNING = 0.9;
/** LLEN probes of the spill list happen at most this often, so idle publishers stay quiet. */
const SPILL_CHECK_INTERVAL_MS = 1_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
/**
 * How long close() waits for the final spill after its timeout: close must end even if Redis
 * hangs, and a shutdown that already waited `timeoutMs` should not wait much longer.
 */
const CLOSE_SPILL_GRACE_MS = 1_000;
/** Elements per RPUSH: spreading a huge array into one call can overflow the JS argument limit. */
const MAX_PUSH_ARGS = 1_000;

interface Entry {
  readonly json: string;
  /** Acceptance order, so flush() knows which events were buffered before it was called. */
  readonly seq: number;
}

interface BlockedPublish {
  readonly entry: Entry;
  readonly resolve: () => void;
}

interface PendingFlush {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

type DrainOutcome = "more" | "done" | "failed";

export class StatusPublisher {
  private readonly redis: Redis;
  private readonly streamKey: string;
  private readonly spillKey: string;
  private readonly capacity: number;
  private readonly overflow: OverflowStrategy;
  private readonly maxLen: number;
  private readonly batchSize: number;
  private readonly logger: Logger;
  private readonly retryDelayMs: number;
  private readonly warnAt: number;
  private readonly warnings = new RateLimitedLog(WARNING_INTERVAL_MS);

  /** Oldest first. The first `inFlight` entries are being written by the current pipeline. */
  private readonly buffer = new Deque<Entry>();
  private readonly blocked = new Deque<BlockedPublish>();
  private pendingFlushes: PendingFlush[] = [];
  /** Overflowing events waiting for the next batched RPUSH to the spill list. */
  private spillQueue: Entry[] = [];
  private spillInFlightSeq = Infinity;
  private spillInFlightCount = 0;
  private spilling = false;

  private writing = false;
  private inFlight = 0;
  /** Entries of the in-flight batch that drop-oldest evicted; they are lost only if the write fails. */
  private abandoned = 0;
  private failures = 0;
  private seq = 0;
  private lastSpillCheck = -Infinity;
  /** The spill list is known to hold entries, so the next drain skips the LLEN probe. */
  private spillBacklog = false;

  private flushImmediate: NodeJS.Immediate | undefined;
  private spillImmediate: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private spillCheckTimer: NodeJS.Timeout | undefined;

  private closed = false;
  private stopped = false;
  private closing: Promise<void> | undefined;
  private onQuiet: (() => void) | undefined;
  private loggedDropAfterClose = false;

  private written = 0;
  private dropped = 0;
  private spilled = 0;
  private spillDrained = 0;
  private writeErrors = 0;

  constructor(options: StatusPublisherOptions) {
    positiveInteger("capacity", options.capacity);
    positiveInteger("batchSize", options.batchSize);
    positiveInteger("maxLen", options.maxLen);
    // Checked at run time: the strategy usually comes from parsed config or plain JavaScript.
    if (!(OVERFLOW_STRATEGIES as readonly string[]).includes(options.overflow)) {
      throw new InvalidOptionError(
        "overflow",
        options.overflow,
        `use one of ${OVERFLOW_STRATEGIES.join(", ")}`,
      );
    }
    const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    if (!Number.isFinite(retryDelayMs) || retryDelayMs <= 0) {
      throw new InvalidOptionError("retryDelayMs", retryDelayMs, "use a positive number of milliseconds");
    }
    this.redis = options.redis;
    defineScripts(this.redis);
    this.streamKey = options.streamKey;
    this.spillKey = options.spillKey;
    this.capacity = options.capacity;
    this.overflow = options.overflow;
    this.maxLen = options.maxLen;
    this.batchSize = options.batchSize;
    this.logger = options.logger;
    this.retryDelayMs = retryDelayMs;
    this.warnAt = Math.ceil(this.capacity * FULLNESS_WARNING);
  }

  /**
   * Hot path: O(1), never awaits Redis. Returns undefined normally; with "block" and a full
   * buffer it returns a Promise that resolves once the event is in the buffer (callers await it
   * to get back-pressure).
   */
  publish(event: StatusEvent): Promise<void> | undefined {
    if (this.closed) {
      this.dropAfterClose();
      return undefined;
    }
    // Serialised now, once: a caller that mutates the object afterwards cannot change what is sent.
    const json = this.serialise(event);
    if (json === undefined) return undefined;
    this.seq += 1;
    const entry: Entry = { json, seq: this.seq };

    // Waiting publishers go first even if space has just freed up, so "block" stays FIFO.
    if (this.buffer.size < this.capacity && this.blocked.size === 0) {
      this.buffer.pushBack(entry);
      if (this.buffer.size >= this.warnAt) this.warnFullness();
      this.scheduleFlush();
      return undefined;
    }

    this.warnFullness();
    switch (this.overflow) {
      case "drop-newest":
        this.drop(1, "the buffer is full (drop-newest)");
        return undefined;
      case "drop-oldest":
        this.evictOldest();
        this.buffer.pushBack(entry);
        this.scheduleFlush();
        return undefined;
      case "spill":
        this.spillIncoming(entry);
        return undefined;
      case "block":
        return new Promise<void>((resolve) => {
          this.blocked.pushBack({ entry, resolve });
        });
    }
  }

  /**
   * Resolves once every event buffered before the call has been written (or dropped/spilled per
   * strategy); rejects only on close timeout.
   */
  flush(): Promise<void> {
    const target = this.seq;
    if (this.oldestUnsettled() > target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pendingFlushes.push({ target, resolve, reject });
    });
  }

  /**
   * Stops accepting (later publish calls are counted as dropped and logged once), flushes for at
   * most timeoutMs, then stops timers. Events still unwritten after the timeout are spilled to
   * the spill list if possible, else counted dropped and logged with the count.
   */
  close(timeoutMs: number = DEFAULT_CLOSE_TIMEOUT_MS): Promise<void> {
    this.closing ??= this.shutDown(timeoutMs);
    return this.closing;
  }

  metrics(): StatusPublisherMetrics {
    const buffered = this.buffer.size;
    return {
      buffered,
      capacity: this.capacity,
      fullness: buffered / this.capacity,
      written: this.written,
      dropped: this.dropped,
      spilled: this.spilled,
      spillDrained: this.spillDrained,
      writeErrors: this.writeErrors,
      blockedPublishers: this.blocked.size,
    };
  }

  // ---- accepting events -------------------------------------------------------------------

  private serialise(event: StatusEvent): string | undefined {
    let json: string | undefined;
    let problem: unknown;
    try {
      // JSON.stringify returns undefined (no throw) for undefined, functions and symbols.
      json = JSON.stringify(event);
    } catch (error) {
      problem = error;
    }
    if (json !== undefined) return json;
    this.dropped += 1;
    if (this.warnings.shouldLog("unserialisable")) {
      this.logger.warn(
        { err: problem, eventType: eventType(event), dropped: this.dropped },
        "Dropped a status event that is not JSON-serialisable; status events must be plain data",
      );
    }
    return undefined;
  }

  private evictOldest(): void {
    this.buffer.popFront();
    if (this.inFlight > 0) {
      // The evicted event is already on its way to Redis: it is only lost if that write fails,
      // so it is counted when the outcome is known.
      this.inFlight -= 1;
      this.abandoned += 1;
    } else {
      this.drop(1, "the buffer is full (drop-oldest)");
    }
    if (this.pendingFlushes.length > 0) this.notify();
  }

  private spillIncoming(entry: Entry): void {
    // Spilling is bounded by `capacity` too (queued plus in flight), or a Redis that stops
    // answering RPUSH would let memory grow without limit.
    if (this.spillQueue.length + this.spillInFlightCount >= this.capacity) {
      this.drop(
        1,
        "the buffer is full and too many events are already on their way to the spill list (spill)",
      );
      return;
    }
    this.spillQueue.push(entry);
    if (this.spillImmediate === undefined && !this.spilling) {
      this.spillImmediate = setImmediate(() => {
        this.spillImmediate = undefined;
        void this.pushSpillQueue();
      });
    }
  }

  /** One RPUSH round trip for every event that overflowed since the last one. */
  private async pushSpillQueue(): Promise<void> {
    const entries = this.spillQueue;
    const first = entries[0];
    if (first === undefined) return;
    this.spillQueue = [];
    this.spilling = true;
    this.spillInFlightSeq = first.seq;
    this.spillInFlightCount = entries.length;
    const { pushed, failed, error } = await this.pushToSpillList(entries.map((entry) => entry.json));
    this.spilling = false;
    this.spillInFlightSeq = Infinity;
    this.spillInFlightCount = 0;
    this.spilled += pushed;
    if (pushed > 0) this.spillBacklog = true;
    if (failed > 0) {
      // The spill list is the last resort: without it the overflow policy degrades to drop-newest.
      this.drop(failed, "the buffer is full and the spill list is not writable (spill)", error);
    }
    if (this.spillQueue.length > 0 && !this.stopped) {
      this.spillImmediate = setImmediate(() => {
        this.spillImmediate = undefined;
        void this.pushSpillQueue();
      });
    }
    this.notify();
  }

  private async pushToSpillList(
    jsons: readonly string[],
  ): Promise<{ pushed: number; failed: number; error: Error | undefined }> {
    const pipeline = this.redis.pipeline();
    const sizes: number[] = [];
    for (let start = 0; start < jsons.length; start += MAX_PUSH_ARGS) {
      const chunk = jsons.slice(start, start + MAX_PUSH_ARGS);
      pipeline.rpush(this.spillKey, ...chunk);
      sizes.push(chunk.length);
    }
    const errors = await execPipeline(pipeline, sizes.length);
    let pushed = 0;
    let failed = 0;
    let firstError: Error | undefined;
    sizes.forEach((size, index) => {
      const error = errors[index];
      if (error === null) {
        pushed += size;
      } else {
        failed += size;
        firstError ??= error;
      }
    });
    return { pushed, failed, error: firstError };
  }

  // ---- writing ------------------------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.writing || this.stopped) return;
    if (this.flushImmediate !== undefined || this.retryTimer !== undefined) return;
    // Not unref'd: it exists only while events are buffered and fires on the next loop turn.
    this.flushImmediate = setImmediate(() => {
      this.flushImmediate = undefined;
      void this.runFlush();
    });
  }

  /** Writes batches until the buffer is empty, then moves spilled events back to the stream. */
  private async runFlush(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    let spillDone = false;
    try {
      for (;;) {
        if (this.stopped) return;
        if (this.buffer.size > 0) {
          if (!(await this.writeBatch())) {
            this.scheduleRetry();
            return;
          }
          continue;
        }
        // Decided synchronously with an empty buffer, so a publish() cannot slip in between
        // this check and `writing = false` without scheduling its own flush.
        if (this.closed || spillDone) return;
        const outcome = await this.drainSpillStep();
        if (outcome === "failed") {
          this.scheduleRetry();
          return;
        }
        if (outcome === "done") spillDone = true;
      }
    } catch (error) {
      // Not expected (Redis errors are handled where they occur), but a rejected loop would be
      // an unhandled rejection in the caller's process; keep the events and try again later.
      this.failures += 1;
      this.logger.error({ err: error }, "Status publisher write loop failed unexpectedly; retrying");
      this.scheduleRetry();
    } finally {
      this.writing = false;
      this.notify();
    }
  }

  /** Sends one pipeline of XADDs for the head of the buffer; false if any of them failed. */
  private async writeBatch(): Promise<boolean> {
    const count = Math.min(this.buffer.size, this.batchSize);
    const batch: Entry[] = [];
    for (let index = 0; index < count; index++) batch.push(this.buffer.at(index));
    this.inFlight = count;
    this.abandoned = 0;

    const errors = await this.appendEvents(batch.map((entry) => entry.json));

    const abandoned = this.abandoned;
    const stillBuffered = this.inFlight;
    this.inFlight = 0;
    this.abandoned = 0;
    const retry: Entry[] = [];
    let firstError: Error | undefined;
    batch.forEach((entry, index) => {
      const error = errors[index];
      if (error === null) {
        // After a close timeout the non-abandoned entries were counted as spilled (or dropped)
        // already; counting them again would make the metrics add up to more than was published.
        if (!this.stopped || index < abandoned) this.written += 1;
        return;
      }
      firstError ??= error;
      if (index < abandoned) this.drop(1, "the buffer is full (drop-oldest)");
      else retry.push(entry);
    });

    // A close that timed out has already spilled (or dropped) what was buffered.
    if (this.stopped) return firstError === undefined;

    for (let index = 0; index < stillBuffered; index++) this.buffer.popFront();
    // Only the failed commands are kept: re-sending the ones that succeeded would duplicate them.
    for (let index = retry.length - 1; index >= 0; index--) {
      const entry = retry[index];
      if (entry !== undefined) this.buffer.pushFront(entry);
    }
    this.admitBlocked();
    this.notify();

    if (firstError !== undefined) {
      this.writeFailed(firstError, "write status events");
      return false;
    }
    this.writeSucceeded();
    return true;
  }

  /**
   * Moves one batch from the spill list back to the stream. "done" when there is nothing (more)
   * to move for now, "more" when another batch may be waiting, "failed" to back off.
   */
  private async drainSpillStep(): Promise<DrainOutcome> {
    if (!this.spillBacklog) {
      // The LLEN probe, not this process's counters, decides: another publisher of the namespace
      // may have spilled and exited before its stream came back.
      const now = Date.now();
      const wait = this.lastSpillCheck + SPILL_CHECK_INTERVAL_MS - now;
      if (wait > 0) {
        this.deferSpillCheck(wait);
        return "done";
      }
      this.lastSpillCheck = now;
      let length: number;
      try {
        length = await this.redis.llen(this.spillKey);
      } catch (error) {
        this.warn("spill-check", { err: error }, "Could not check the status spill list; will check again");
        this.deferSpillCheck(SPILL_CHECK_INTERVAL_MS);
        return "done";
      }
      if (length === 0) return "done";
      this.spillBacklog = true;
    }

    let jsons: string[] | null;
    try {
      jsons = await this.redis.lpop(this.spillKey, this.batchSize);
    } catch (error) {
      // Buffered events are not held back for this: their own writes find out whether Redis is
      // healthy. The entries stay in the list, so trying again at the probe interval is enough.
      this.warn("spill-read", { err: error }, "Could not read the status spill list; will try again");
      this.deferSpillCheck(SPILL_CHECK_INTERVAL_MS);
      return "done";
    }
    if (jsons === null || jsons.length === 0) {
      this.spillBacklog = false;
      return "done";
    }

    // Until the XADDs answer, these entries exist only in this process: a crash here loses at
    // most one batch. LMOVE to a per-process list would close that gap, but every crashed
    // process would leave such a list behind for someone to find.
    const errors = await this.appendEvents(jsons);
    const failed: string[] = [];
    let firstError: Error | undefined;
    jsons.forEach((json, index) => {
      const error = errors[index];
      if (error === null) {
        this.spillDrained += 1;
      } else {
        failed.push(json);
        firstError ??= error;
      }
    });

    if (firstError !== undefined) {
      // RPUSH, not LPUSH: an entry that keeps failing goes to the back instead of being retried
      // first forever. The cost is order: these entries now follow ones spilled after them. That
      // is acceptable because every event carries its `at` timestamp and the server orders by
      // it, not by stream position.
      const { failed: lost, error } = await this.pushToSpillList(failed);
      if (lost > 0) {
        this.drop(lost, "spilled events could not be written nor put back on the spill list", error);
      }
      this.writeFailed(firstError, "move spilled status events to the stream");
      return "failed";
    }
    this.writeSucceeded();
    if (jsons.length < this.batchSize) {
      this.spillBacklog = false;
      return "done";
    }
    return "more";
  }

  /** Writes events in one script call; per-event outcomes (all the same: the batch is all-or-nothing). */
  private async appendEvents(jsons: readonly string[]): Promise<(Error | null)[]> {
    try {
      await runScript(
        this.redis,
        "append-events",
        [this.streamKey],
        [this.maxLen, STATUS_EVENT_FIELD, ...jsons],
      );
      return jsons.map(() => null);
    } catch (error) {
      const failure = asError(error);
      return jsons.map(() => failure);
    }
  }

  private writeFailed(error: Error, what: string): void {
    this.writeErrors += 1;
    this.failures += 1;
    this.warn(
      "write",
      { err: error, buffered: this.buffer.size, writeErrors: this.writeErrors, retryInMs: this.retryDelay() },
      `Could not ${what}; the status stream is not writable, retrying with backoff`,
    );
  }

  private writeSucceeded(): void {
    if (this.failures > 0) {
      this.logger.info({ buffered: this.buffer.size }, "Status stream is writable again");
    }
    this.failures = 0;
  }

  private retryDelay(): number {
    const exponent = Math.min(Math.max(this.failures - 1, 0), 30);
    return Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2 ** exponent);
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    // Nothing left to retry for a closing publisher: spill draining is not a shutdown task.
    if (this.closed && this.buffer.size === 0) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.runFlush();
    }, this.retryDelay());
    this.retryTimer.unref();
  }

  /** So the last flush of a burst still gets its spill check once the probe interval has passed. */
  private deferSpillCheck(delayMs: number): void {
    if (this.spillCheckTimer !== undefined || this.stopped || this.closed) return;
    this.spillCheckTimer = setTimeout(() => {
      this.spillCheckTimer = undefined;
      this.scheduleFlush();
    }, delayMs);
    this.spillCheckTimer.unref();
  }

  private admitBlocked(): void {
    while (this.buffer.size < this.capacity) {
      const waiting = this.blocked.popFront();
      if (waiting === undefined) return;
      this.buffer.pushBack(waiting.entry);
      waiting.resolve();
    }
  }

  // ---- settling and shutdown ------------------------------------------------------------------

  /** The sequence number of the oldest event not yet written, dropped or spilled. */
  private oldestUnsettled(): number {
    // The buffer is ordered by seq (failed entries go back to the head, where they came from),
    // blocked events are newer than any buffered one, and the spill queue is in seq order.
    return Math.min(
      this.buffer.peek()?.seq ?? Infinity,
      this.blocked.peek()?.entry.seq ?? Infinity,
      this.spillQueue[0]?.seq ?? Infinity,
      this.spillInFlightSeq,
    );
  }

  private notify(): void {
    const oldest = this.oldestUnsettled();
    let settled = 0;
    while (settled < this.pendingFlushes.length && (this.pendingFlushes[settled]?.target ?? 0) < oldest) {
      this.pendingFlushes[settled]?.resolve();
      settled += 1;
    }
    if (settled > 0) this.pendingFlushes = this.pendingFlushes.slice(settled);
    if (this.onQuiet !== undefined && oldest === Infinity && !this.writing && !this.spilling) {
      const onQuiet = this.onQuiet;
      this.onQuiet = undefined;
      onQuiet();
    }
  }

  private async shutDown(timeoutMs: number): Promise<void> {
    this.closed = true;
    clearTimeout(this.spillCheckTimer);
    this.spillCheckTimer = undefined;
    if (this.retryTimer !== undefined) {
      // A shutdown has a deadline; waiting out a long backoff would waste it.
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    if (this.buffer.size > 0) this.scheduleFlush();

    let timer: NodeJS.Timeout | undefined;
    const quiet = await new Promise<boolean>((resolve) => {
      this.onQuiet = () => {
        resolve(true);
      };
      timer = setTimeout(() => {
        resolve(false);
      }, timeoutMs);
      this.notify();
    });
    clearTimeout(timer);
    this.onQuiet = undefined;
    this.stop();
    if (!quiet) await this.evacuate(timeoutMs);
  }

  private stop(): void {
    this.stopped = true;
    clearImmediate(this.flushImmediate);
    clearImmediate(this.spillImmediate);
    clearTimeout(this.retryTimer);
    clearTimeout(this.spillCheckTimer);
    this.flushImmediate = undefined;
    this.spillImmediate = undefined;
    this.retryTimer = undefined;
    this.spillCheckTimer = undefined;
  }

  /** After a close timeout: everything still in memory goes to the spill list, or is dropped. */
  private async evacuate(timeoutMs: number): Promise<void> {
    const leftovers: string[] = [];
    // In-flight entries are included: their write may still succeed, which would duplicate them,
    // but losing them if it fails would be worse (delivery is at least once).
    for (let entry = this.buffer.popFront(); entry !== undefined; entry = this.buffer.popFront()) {
      leftovers.push(entry.json);
    }
    for (let waiting = this.blocked.popFront(); waiting !== undefined; waiting = this.blocked.popFront()) {
      leftovers.push(waiting.entry.json);
      // Resolved, not rejected: publish() never throws into its caller, and the event is handled.
      waiting.resolve();
    }
    for (const entry of this.spillQueue) leftovers.push(entry.json);
    this.spillQueue = [];

    const pending = this.pendingFlushes;
    this.pendingFlushes = [];
    for (const flush of pending) {
      flush.reject(
        new UpNextError(
          "status_flush_timeout",
          `The status publisher closed after ${timeoutMs}ms before these events were written; ${leftovers.length} unwritten events go to the spill list if possible.`,
        ),
      );
    }
    if (leftovers.length === 0) return;

    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.pushToSpillList(leftovers),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          resolve(undefined);
        }, CLOSE_SPILL_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    const spilled = outcome?.pushed ?? 0;
    const lost = leftovers.length - spilled;
    this.spilled += spilled;
    this.dropped += lost;
    if (lost > 0) {
      this.logger.error(
        { err: outcome?.error, dropped: lost, spilled, timeoutMs },
        outcome === undefined
          ? `Dropped ${lost} status events at close: not written within ${timeoutMs}ms and the spill list did not answer (they may still arrive)`
          : `Dropped ${lost} status events at close: not written within ${timeoutMs}ms and not spillable`,
      );
    } else {
      this.logger.warn(
        { spilled, timeoutMs },
        `Spilled ${spilled} status events at close: not written within ${timeoutMs}ms; they reach the stream when a publisher drains the spill list`,
      );
    }
  }

  // ---- logging ------------------------------------------------------------------------------

  private drop(count: number, reason: string, error?: Error): void {
    this.dropped += count;
    this.warn(
      "drop",
      { err: error, dropped: this.dropped, reason, strategy: this.overflow },
      `Dropping status events: ${reason}`,
    );
  }

  private dropAfterClose(): void {
    this.dropped += 1;
    if (this.loggedDropAfterClose) return;
    this.loggedDropAfterClose = true;
    this.logger.warn(
      { dropped: this.dropped },
      "Status event published after the status publisher was closed; dropped (later ones are dropped silently)",
    );
  }

  private warnFullness(): void {
    if (!this.warnings.shouldLog("fullness")) return;
    const fullness = this.buffer.size / this.capacity;
    this.logger.warn(
      { fullness, capacity: this.capacity, strategy: this.overflow, buffered: this.buffer.size },
      `Status event buffer is ${Math.round(fullness * 100)}% full (capacity ${this.capacity}, overflow strategy ${this.overflow}); the status stream is not keeping up`,
    );
  }

  private warn(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warnings.shouldLog(key)) this.logger.warn(fields, message);
  }
}

/** Per-command outcome of a pipeline: null for success. A failed exec fails every command. */
async function execPipeline(pipeline: ChainableCommander, count: number): Promise<(Error | null)[]> {
  let results: [error: Error | null, result: unknown][] | null;
  try {
    results = await pipeline.exec();
  } catch (error) {
    return new Array<Error | null>(count).fill(asError(error));
  }
  const outcomes: (Error | null)[] = [];
  for (let index = 0; index < count; index++) {
    // A missing reply is a failure: whether that command ran is unknown, and retrying is safer.
    const reply = results?.[index];
    outcomes.push(reply === undefined ? new Error("no reply from Redis") : reply[0]);
  }
  return outcomes;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function positiveInteger(option: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionError(option, value, "use a whole number of at least 1");
  }
}

/** For log lines about malformed events, which may not even be objects at run time. */
function eventType(event: unknown): unknown {
  return typeof event === "object" && event !== null ? (event as { type?: unknown }).type : typeof event;
}

/** Growable ring buffer: O(1) at both ends, so eviction and batch removal never shift arrays. */
class Deque<T> {
  private slots: (T | undefined)[] = new Array<T | undefined>(16);
  private head = 0;
  private length = 0;

  get size(): number {
    return this.length;
  }

  peek(): T | undefined {
    return this.length === 0 ? undefined : this.slots[this.head];
  }

  /** The element `index` places from the front; `index` must be below `size`. */
  at(index: number): T {
    return this.slots[(this.head + index) % this.slots.length] as T;
  }

  pushBack(value: T): void {
    if (this.length === this.slots.length) this.grow();
    this.slots[(this.head + this.length) % this.slots.length] = value;
    this.length += 1;
  }

  pushFront(value: T): void {
    if (this.length === this.slots.length) this.grow();
    this.head = (this.head - 1 + this.slots.length) % this.slots.length;
    this.slots[this.head] = value;
    this.length += 1;
  }

  popFront(): T | undefined {
    if (this.length === 0) return undefined;
    const value = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.length -= 1;
    return value;
  }

  private grow(): void {
    const slots = new Array<T | undefined>(this.slots.length * 2);
    for (let index = 0; index < this.length; index++) slots[index] = this.at(index);
    this.slots = slots;
    this.head = 0;
  }
}
