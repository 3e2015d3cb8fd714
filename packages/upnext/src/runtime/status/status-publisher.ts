/**
 * Takes job lifecycle events off the hot path. publish() serialises an event and appends it to a
 * bounded in-memory buffer; a background loop writes the buffer to the status stream in
 * pipelined batches. When the stream is not writable the buffer fills up and the configured
 * overflow strategy decides what gives: the oldest event, the newest one, the publisher
 * (back-pressure) or Redis memory (a spill list that is drained once the stream recovers).
 *
 * The buffer is bounded in entries (`capacity`) and in bytes of JSON (`maxBytes`). Events that
 * change no state (DROPPABLE_EVENT_TYPES: progress, logs, metrics, heartbeats) never wait, block or
 * spill: at the bound the oldest of them is dropped (counted in `droppedNonLifecycle`, warned
 * about once), for them and for every other event, before the strategy applies to the rest. So a
 * Redis outage cannot grow memory without limit, and no lifecycle event gives way to a progress
 * update (docs/status-events.md).
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
import type { Redis } from "ioredis";
import {
  DROPPABLE_EVENT_TYPES,
  InvalidOptionError,
  OVERFLOW_STRATEGIES,
  UpNextError,
  type OverflowStrategy,
  type StatusEvent,
} from "@upnext/core";
import { Deque } from "./deque.js";
import { RateLimitedLog, type Logger } from "../observability/logger.js";
import { StatusSpill } from "./status-spill.js";
import { StatusStream } from "./status-stream.js";

export interface StatusPublisherOptions {
  /** Shared client; writes go through pipelines (never MULTI) so they do not block other users. */
  readonly redis: Redis;
  /** namespaceKeys(ns).events */
  readonly streamKey: string;
  /** namespaceKeys(ns).eventsSpill (a Redis list) */
  readonly spillKey: string;
  /** Most events held in memory. */
  readonly capacity: number;
  /** Most bytes of JSON held in memory (blocked publishers aside). */
  readonly maxBytes: number;
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
  /** Bytes of JSON the buffer holds, and its bound (UPNEXT_STATUS_BUFFER_BYTES). */
  readonly bufferedBytes: number;
  readonly maxBytes: number;
  /** What gives when the buffer is full (UPNEXT_STATUS_OVERFLOW). */
  readonly overflow: OverflowStrategy;
  /** buffered / capacity, 0..1. */
  readonly fullness: number;
  readonly written: number;
  readonly dropped: number;
  /** The part of `dropped` that were progress, log, metric or heartbeat events dropped at the bound. */
  readonly droppedNonLifecycle: number;
  readonly spilled: number;
  readonly spillDrained: number;
  /** Failed write attempts (one per failed pipeline, not per event). */
  readonly writeErrors: number;
  readonly blockedPublishers: number;
}

const DEFAULT_RETRY_DELAY_MS = 100;
const WARNING_INTERVAL_MS = 30_000;
const FULLNESS_WARNING = 0.9;
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
/**
 * How long close() waits for the final spill after its timeout: close must end even if Redis
 * hangs, and a shutdown that already waited `timeoutMs` should not wait much longer.
 */
const CLOSE_SPILL_GRACE_MS = 1_000;

interface Entry {
  readonly json: string;
  /** Acceptance order, so flush() knows which events were buffered before it was called. */
  readonly seq: number;
  /** A progress, log, metric or heartbeat event: dropped first at the bound. */
  readonly droppable: boolean;
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

export class StatusPublisher {
  private readonly capacity: number;
  private readonly overflow: OverflowStrategy;
  private readonly batchSize: number;
  private readonly logger: Logger;
  private readonly warnAt: number;
  private readonly warnings = new RateLimitedLog(WARNING_INTERVAL_MS);
  private readonly stream: StatusStream;
  private readonly spill: StatusSpill;

  /** Oldest first. The first `inFlight` entries are being written by the current pipeline. */
  private readonly buffer = new Deque<Entry>();
  /** Droppable events, oldest first; a batch takes them out while it writes them. */
  private readonly minor = new Deque<Entry>();
  private minorInFlight: Entry[] = [];
  /** JSON length of everything in `buffer`, `minor` and `minorInFlight`. */
  private bufferedBytes = 0;
  private readonly blocked = new Deque<BlockedPublish>();
  private pendingFlushes: PendingFlush[] = [];

  private writing = false;
  private inFlight = 0;
  /** Entries of the in-flight batch that drop-oldest evicted; they are lost only if the write fails. */
  private abandoned = 0;
  private seq = 0;

  private flushImmediate: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  private closed = false;
  private stopped = false;
  private closing: Promise<void> | undefined;
  private onQuiet: (() => void) | undefined;
  private loggedDropAfterClose = false;

  private written = 0;
  private dropped = 0;
  private droppedNonLifecycle = 0;
  private warnedNonLifecycleDrop = false;
  private readonly maxBytes: number;

  constructor(options: StatusPublisherOptions) {
    positiveInteger("capacity", options.capacity);
    positiveInteger("maxBytes", options.maxBytes);
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
    this.capacity = options.capacity;
    this.maxBytes = options.maxBytes;
    this.overflow = options.overflow;
    this.batchSize = options.batchSize;
    this.logger = options.logger;
    this.warnAt = Math.ceil(this.capacity * FULLNESS_WARNING);
    this.stream = new StatusStream({
      redis: options.redis,
      key: options.streamKey,
      maxLen: options.maxLen,
      retryDelayMs,
      logger: options.logger,
      warnings: this.warnings,
      buffered: () => this.held,
    });
    this.spill = new StatusSpill({
      redis: options.redis,
      key: options.spillKey,
      capacity: options.capacity,
      batchSize: options.batchSize,
      stream: this.stream,
      logger: options.logger,
      warnings: this.warnings,
      drop: (count, reason, error) => {
        this.drop(count, reason, error);
      },
      onPushed: () => {
        this.notify();
      },
      onCheckDue: () => {
        this.scheduleFlush();
      },
    });
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
    const entry: Entry = { json, seq: this.seq, droppable: DROPPABLE_EVENT_TYPES.has(event.type) };
    if (entry.droppable) {
      this.acceptDroppable(entry);
      return undefined;
    }

    // Lifecycle events take the place of droppable ones before the strategy decides anything.
    while (this.atBound(entry) && this.evictDroppable());
    // Waiting publishers go first even if space has just freed up, so "block" stays FIFO.
    if (!this.atBound(entry) && this.blocked.size === 0) {
      this.push(entry);
      return undefined;
    }

    this.warnFullness();
    switch (this.overflow) {
      case "drop-newest":
        this.drop(1, "the buffer is full (drop-newest)");
        return undefined;
      case "drop-oldest":
        this.evictOldest();
        this.push(entry);
        return undefined;
      case "spill":
        this.spill.add(entry);
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
    const buffered = this.held;
    return {
      buffered,
      capacity: this.capacity,
      bufferedBytes: this.bufferedBytes,
      maxBytes: this.maxBytes,
      overflow: this.overflow,
      fullness: buffered / this.capacity,
      written: this.written,
      dropped: this.dropped,
      droppedNonLifecycle: this.droppedNonLifecycle,
      spilled: this.spill.spilled,
      spillDrained: this.spill.drained,
      writeErrors: this.stream.writeErrors,
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

  /** Events held in memory, blocked publishers aside. */
  private get held(): number {
    return this.buffer.size + this.minor.size + this.minorInFlight.length;
  }

  /** Whether `entry` would take the buffer past either bound (one entry always fits). */
  private atBound(entry: Entry): boolean {
    const held = this.held;
    return held >= this.capacity || (held > 0 && this.bufferedBytes + entry.json.length > this.maxBytes);
  }

  private push(entry: Entry): void {
    (entry.droppable ? this.minor : this.buffer).pushBack(entry);
    this.bufferedBytes += entry.json.length;
    if (this.held >= this.warnAt) this.warnFullness();
    this.scheduleFlush();
  }

  /** Droppable events never wait: at the bound the oldest droppable one gives way, else this one. */
  private acceptDroppable(entry: Entry): void {
    while (this.atBound(entry) && this.evictDroppable());
    if (this.atBound(entry)) {
      this.dropNonLifecycle();
      return;
    }
    this.push(entry);
  }

  /** Drops the oldest droppable event not being written; false when there is none. */
  private evictDroppable(): boolean {
    const entry = this.minor.popFront();
    if (entry === undefined) return false;
    this.bufferedBytes -= entry.json.length;
    this.dropNonLifecycle();
    if (this.pendingFlushes.length > 0) this.notify();
    return true;
  }

  private dropNonLifecycle(): void {
    this.dropped += 1;
    this.droppedNonLifecycle += 1;
    if (this.warnedNonLifecycleDrop) return;
    this.warnedNonLifecycleDrop = true;
    this.logger.warn(
      {
        capacity: this.capacity,
        maxBytes: this.maxBytes,
        held: this.held,
        bufferedBytes: this.bufferedBytes,
      },
      "Status event buffer is at its bound (the status stream is not writable?): dropping progress, log, metric and heartbeat events, oldest first, to keep lifecycle events. Counted in droppedNonLifecycle; this is logged once.",
    );
  }

  private evictOldest(): void {
    const evicted = this.buffer.popFront();
    if (evicted !== undefined) this.bufferedBytes -= evicted.json.length;
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
        if (this.buffer.size > 0 || this.minor.size > 0) {
          if (!(await this.writeBatch())) {
            this.scheduleRetry();
            return;
          }
          continue;
        }
        // Decided synchronously with an empty buffer, so a publish() cannot slip in between
        // this check and `writing = false` without scheduling its own flush.
        if (this.closed || spillDone) return;
        const outcome = await this.spill.drainStep();
        if (outcome === "failed") {
          this.scheduleRetry();
          return;
        }
        if (outcome === "done") spillDone = true;
      }
    } catch (error) {
      // Not expected (Redis errors are handled where they occur), but a rejected loop would be
      // an unhandled rejection in the caller's process; keep the events and try again later.
      this.stream.loopFailed();
      this.logger.error({ err: error }, "Status publisher write loop failed unexpectedly; retrying");
      this.scheduleRetry();
    } finally {
      this.writing = false;
      this.notify();
    }
  }

  /**
   * Sends one pipeline of XADDs for the oldest buffered events (both queues, in publish order);
   * false if any of them failed.
   */
  private async writeBatch(): Promise<boolean> {
    const batch: Entry[] = [];
    let fromBuffer = 0;
    const fromMinor: Entry[] = [];
    while (batch.length < this.batchSize) {
      const main = fromBuffer < this.buffer.size ? this.buffer.at(fromBuffer) : undefined;
      const minor = this.minor.peek();
      if (minor !== undefined && (main === undefined || minor.seq < main.seq)) {
        this.minor.popFront();
        fromMinor.push(minor);
        batch.push(minor);
      } else if (main !== undefined) {
        fromBuffer += 1;
        batch.push(main);
      } else break;
    }
    this.inFlight = fromBuffer;
    this.abandoned = 0;
    this.minorInFlight = fromMinor;

    const errors = await this.stream.append(batch.map((entry) => entry.json));

    const abandoned = this.abandoned;
    const stillBuffered = this.inFlight;
    this.inFlight = 0;
    this.abandoned = 0;
    this.minorInFlight = [];
    const retry: Entry[] = [];
    const retryMinor: Entry[] = [];
    let firstError: Error | undefined;
    let position = 0;
    for (const [index, entry] of batch.entries()) {
      const error = errors[index];
      // Position among the buffer's entries: the first `abandoned` of them were evicted meanwhile.
      const mainPosition = entry.droppable ? -1 : position++;
      if (error === null) {
        if (entry.droppable && !this.stopped) this.bufferedBytes -= entry.json.length;
        // After a close timeout the non-abandoned entries were counted as spilled (or dropped)
        // already; counting them again would make the metrics add up to more than was published.
        if (!this.stopped || (mainPosition >= 0 && mainPosition < abandoned)) this.written += 1;
        continue;
      }
      firstError ??= error;
      if (entry.droppable) retryMinor.push(entry);
      else if (mainPosition < abandoned) this.drop(1, "the buffer is full (drop-oldest)");
      else retry.push(entry);
    }

    // A close that timed out has already spilled (or dropped) what was buffered.
    if (this.stopped) return firstError === undefined;

    for (let index = 0; index < stillBuffered; index++) {
      const entry = this.buffer.popFront();
      if (entry !== undefined) this.bufferedBytes -= entry.json.length;
    }
    // Only the failed commands are kept: re-sending the ones that succeeded would duplicate them.
    for (let index = retry.length - 1; index >= 0; index--) {
      const entry = retry[index];
      if (entry === undefined) continue;
      this.buffer.pushFront(entry);
      this.bufferedBytes += entry.json.length;
    }
    for (let index = retryMinor.length - 1; index >= 0; index--) {
      const entry = retryMinor[index];
      if (entry !== undefined) this.minor.pushFront(entry);
    }
    this.admitBlocked();
    this.notify();

    if (firstError !== undefined) {
      this.stream.writeFailed(firstError, "write status events");
      return false;
    }
    this.stream.writeSucceeded();
    return true;
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    // Nothing left to retry for a closing publisher: spill draining is not a shutdown task.
    if (this.closed && this.buffer.size === 0 && this.minor.size === 0) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.runFlush();
    }, this.stream.retryDelay());
    this.retryTimer.unref();
  }

  private admitBlocked(): void {
    for (let waiting = this.blocked.peek(); waiting !== undefined; waiting = this.blocked.peek()) {
      while (this.atBound(waiting.entry) && this.evictDroppable());
      if (this.atBound(waiting.entry)) return;
      this.blocked.popFront();
      this.buffer.pushBack(waiting.entry);
      this.bufferedBytes += waiting.entry.json.length;
      waiting.resolve();
    }
  }

  // ---- settling and shutdown ------------------------------------------------------------------

  /** The sequence number of the oldest event not yet written, dropped or spilled. */
  private oldestUnsettled(): number {
    // The buffer is ordered by seq (failed entries go back to the head, where they came from),
    // and blocked events are newer than any buffered one.
    return Math.min(
      this.buffer.peek()?.seq ?? Infinity,
      this.minor.peek()?.seq ?? Infinity,
      this.minorInFlight[0]?.seq ?? Infinity,
      this.blocked.peek()?.entry.seq ?? Infinity,
      this.spill.oldestSeq,
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
    if (this.onQuiet !== undefined && oldest === Infinity && !this.writing && !this.spill.busy) {
      const onQuiet = this.onQuiet;
      this.onQuiet = undefined;
      onQuiet();
    }
  }

  private async shutDown(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.spill.stopDraining();
    if (this.retryTimer !== undefined) {
      // A shutdown has a deadline; waiting out a long backoff would waste it.
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    if (this.buffer.size > 0 || this.minor.size > 0) this.scheduleFlush();

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
    this.spill.stop();
    clearImmediate(this.flushImmediate);
    clearTimeout(this.retryTimer);
    this.flushImmediate = undefined;
    this.retryTimer = undefined;
  }

  /** After a close timeout: everything still in memory goes to the spill list, or is dropped. */
  private async evacuate(timeoutMs: number): Promise<void> {
    const leftovers: string[] = [];
    // In-flight entries are included: their write may still succeed, which would duplicate them,
    // but losing them if it fails would be worse (delivery is at least once).
    for (let entry = this.buffer.popFront(); entry !== undefined; entry = this.buffer.popFront()) {
      leftovers.push(entry.json);
    }
    for (const entry of this.minorInFlight) leftovers.push(entry.json);
    for (let entry = this.minor.popFront(); entry !== undefined; entry = this.minor.popFront()) {
      leftovers.push(entry.json);
    }
    this.bufferedBytes = 0;
    for (let waiting = this.blocked.popFront(); waiting !== undefined; waiting = this.blocked.popFront()) {
      leftovers.push(waiting.entry.json);
      // Resolved, not rejected: publish() never throws into its caller, and the event is handled.
      waiting.resolve();
    }
    for (const json of this.spill.takeQueued()) leftovers.push(json);

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

    const outcome = await this.spill.pushWithin(leftovers, CLOSE_SPILL_GRACE_MS);
    const spilled = outcome?.pushed ?? 0;
    const lost = leftovers.length - spilled;
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
    const fullness = this.held / this.capacity;
    this.logger.warn(
      { fullness, capacity: this.capacity, strategy: this.overflow, buffered: this.held },
      `Status event buffer is ${Math.round(fullness * 100)}% full (capacity ${this.capacity}, overflow strategy ${this.overflow}); the status stream is not keeping up`,
    );
  }

  private warn(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warnings.shouldLog(key)) this.logger.warn(fields, message);
  }
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
