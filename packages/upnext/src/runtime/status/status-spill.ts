/**
 * The spill list: a Redis list where status events wait while the status stream is not
 * writable. Events get there through the "spill" overflow strategy and from a close that timed
 * out; any publisher of the namespace moves them back to the stream, so they outlive the process
 * that spilled them.
 */
import type { ChainableCommander, Redis } from "ioredis";
import type { Logger, RateLimitedLog } from "../observability/logger.js";
import type { StatusStream } from "./status-stream.js";

/** LLEN probes of the spill list happen at most this often, so idle publishers stay quiet. */
const SPILL_CHECK_INTERVAL_MS = 1_000;
/** Elements per RPUSH: spreading a huge array into one call can overflow the JS argument limit. */
const MAX_PUSH_ARGS = 1_000;

/** An overflowing event. */
export interface SpillEntry {
  readonly json: string;
  /** Acceptance order, so the publisher's flush() knows when the event has been dealt with. */
  readonly seq: number;
}

export interface SpillPushOutcome {
  readonly pushed: number;
  readonly failed: number;
  readonly error: Error | undefined;
}

export type DrainOutcome = "more" | "done" | "failed";

export interface StatusSpillOptions {
  readonly redis: Redis;
  /** namespaceKeys(ns).eventsSpill (a Redis list) */
  readonly key: string;
  /** Most overflowing events queued for, or on their way to, the list. */
  readonly capacity: number;
  /** Most entries moved back to the stream per step. */
  readonly batchSize: number;
  readonly stream: StatusStream;
  readonly logger: Logger;
  /** Shared with the publisher, which rate-limits its other warnings with it too. */
  readonly warnings: RateLimitedLog;
  /** Counts and logs events that are lost. */
  readonly drop: (count: number, reason: string, error?: Error) => void;
  /** After every push of overflowing events, so flush() calls waiting on them can settle. */
  readonly onPushed: () => void;
  /** When a deferred probe of the list is due: the publisher's write loop runs the next drain step. */
  readonly onCheckDue: () => void;
}

export class StatusSpill {
  private readonly redis: Redis;
  private readonly key: string;
  private readonly capacity: number;
  private readonly batchSize: number;
  private readonly stream: StatusStream;
  private readonly logger: Logger;
  private readonly warnings: RateLimitedLog;
  private readonly drop: (count: number, reason: string, error?: Error) => void;
  private readonly onPushed: () => void;
  private readonly onCheckDue: () => void;

  /** Overflowing events waiting for the next batched RPUSH. */
  private queue: SpillEntry[] = [];
  private inFlightSeq = Infinity;
  private inFlightCount = 0;
  private pushing = false;
  private pushImmediate: NodeJS.Immediate | undefined;

  private lastCheck = -Infinity;
  /** The list is known to hold entries, so the next drain step skips the LLEN probe. */
  private backlog = false;
  private checkTimer: NodeJS.Timeout | undefined;

  private draining = true;
  private stopped = false;
  private spilledCount = 0;
  private drainedCount = 0;

  constructor(options: StatusSpillOptions) {
    this.redis = options.redis;
    this.key = options.key;
    this.capacity = options.capacity;
    this.batchSize = options.batchSize;
    this.stream = options.stream;
    this.logger = options.logger;
    this.warnings = options.warnings;
    this.drop = options.drop;
    this.onPushed = options.onPushed;
    this.onCheckDue = options.onCheckDue;
  }

  /** Events this publisher put on the list. */
  get spilled(): number {
    return this.spilledCount;
  }

  /** Entries this publisher moved from the list to the stream, whoever spilled them. */
  get drained(): number {
    return this.drainedCount;
  }

  /** The sequence number of the oldest overflowing event not yet on the list (Infinity if none). */
  get oldestSeq(): number {
    // The queue is in seq order, and newer than what is in flight.
    return Math.min(this.queue[0]?.seq ?? Infinity, this.inFlightSeq);
  }

  /** An RPUSH of overflowing events is waiting for Redis. */
  get busy(): boolean {
    return this.pushing;
  }

  // ---- overflowing events -----------------------------------------------------------------

  add(entry: SpillEntry): void {
    // Spilling is bounded by `capacity` too (queued plus in flight), or a Redis that stops
    // answering RPUSH would let memory grow without limit.
    if (this.queue.length + this.inFlightCount >= this.capacity) {
      this.drop(
        1,
        "the buffer is full and too many events are already on their way to the spill list (spill)",
      );
      return;
    }
    this.queue.push(entry);
    if (this.pushImmediate === undefined && !this.pushing) this.schedulePush();
  }

  /** The queued events not yet sent, for a close that timed out; the queue is left empty. */
  takeQueued(): string[] {
    const jsons = this.queue.map((entry) => entry.json);
    this.queue = [];
    return jsons;
  }

  private schedulePush(): void {
    this.pushImmediate = setImmediate(() => {
      this.pushImmediate = undefined;
      void this.pushQueued();
    });
  }

  /** One RPUSH round trip for every event that overflowed since the last one. */
  private async pushQueued(): Promise<void> {
    const entries = this.queue;
    const first = entries[0];
    if (first === undefined) return;
    this.queue = [];
    this.pushing = true;
    this.inFlightSeq = first.seq;
    this.inFlightCount = entries.length;
    const { pushed, failed, error } = await this.push(entries.map((entry) => entry.json));
    this.pushing = false;
    this.inFlightSeq = Infinity;
    this.inFlightCount = 0;
    this.spilledCount += pushed;
    if (pushed > 0) this.backlog = true;
    if (failed > 0) {
      // The spill list is the last resort: without it the overflow policy degrades to drop-newest.
      this.drop(failed, "the buffer is full and the spill list is not writable (spill)", error);
    }
    if (this.queue.length > 0 && !this.stopped) this.schedulePush();
    this.onPushed();
  }

  // ---- the list ---------------------------------------------------------------------------

  private async push(jsons: readonly string[]): Promise<SpillPushOutcome> {
    const pipeline = this.redis.pipeline();
    const sizes: number[] = [];
    for (let start = 0; start < jsons.length; start += MAX_PUSH_ARGS) {
      const chunk = jsons.slice(start, start + MAX_PUSH_ARGS);
      pipeline.rpush(this.key, ...chunk);
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

  /**
   * For a close that timed out: pushes what is left in memory, waiting at most `graceMs` for
   * Redis. Undefined when the list did not answer in time (the push may still land later, but
   * is not counted as spilled).
   */
  async pushWithin(jsons: readonly string[], graceMs: number): Promise<SpillPushOutcome | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.push(jsons),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          resolve(undefined);
        }, graceMs);
      }),
    ]);
    clearTimeout(timer);
    this.spilledCount += outcome?.pushed ?? 0;
    return outcome;
  }

  // ---- draining ---------------------------------------------------------------------------

  /**
   * Moves one batch from the spill list back to the stream. "done" when there is nothing (more)
   * to move for now, "more" when another batch may be waiting, "failed" to back off.
   */
  async drainStep(): Promise<DrainOutcome> {
    if (!this.backlog) {
      // The LLEN probe, not this process's counters, decides: another publisher of the namespace
      // may have spilled and exited before its stream came back.
      const now = Date.now();
      const wait = this.lastCheck + SPILL_CHECK_INTERVAL_MS - now;
      if (wait > 0) {
        this.deferCheck(wait);
        return "done";
      }
      this.lastCheck = now;
      let length: number;
      try {
        length = await this.redis.llen(this.key);
      } catch (error) {
        this.warn("spill-check", { err: error }, "Could not check the status spill list; will check again");
        this.deferCheck(SPILL_CHECK_INTERVAL_MS);
        return "done";
      }
      if (length === 0) return "done";
      this.backlog = true;
    }

    let jsons: string[] | null;
    try {
      jsons = await this.redis.lpop(this.key, this.batchSize);
    } catch (error) {
      // Buffered events are not held back for this: their own writes find out whether Redis is
      // healthy. The entries stay in the list, so trying again at the probe interval is enough.
      this.warn("spill-read", { err: error }, "Could not read the status spill list; will try again");
      this.deferCheck(SPILL_CHECK_INTERVAL_MS);
      return "done";
    }
    if (jsons === null || jsons.length === 0) {
      this.backlog = false;
      return "done";
    }

    // Until the XADDs answer, these entries exist only in this process: a crash here loses at
    // most one batch. LMOVE to a per-process list would close that gap, but every crashed
    // process would leave such a list behind for someone to find.
    const errors = await this.stream.append(jsons);
    const failed: string[] = [];
    let firstError: Error | undefined;
    jsons.forEach((json, index) => {
      const error = errors[index];
      if (error === null) {
        this.drainedCount += 1;
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
      const { failed: lost, error } = await this.push(failed);
      if (lost > 0) {
        this.drop(lost, "spilled events could not be written nor put back on the spill list", error);
      }
      this.stream.writeFailed(firstError, "move spilled status events to the stream");
      return "failed";
    }
    this.stream.writeSucceeded();
    if (jsons.length < this.batchSize) {
      this.backlog = false;
      return "done";
    }
    return "more";
  }

  /** So the last flush of a burst still gets its spill check once the probe interval has passed. */
  private deferCheck(delayMs: number): void {
    if (this.checkTimer !== undefined || !this.draining) return;
    this.checkTimer = setTimeout(() => {
      this.checkTimer = undefined;
      this.onCheckDue();
    }, delayMs);
    this.checkTimer.unref();
  }

  // ---- shutdown ---------------------------------------------------------------------------

  /** No more probes: moving spilled events back is not a shutdown task. */
  stopDraining(): void {
    this.draining = false;
    clearTimeout(this.checkTimer);
    this.checkTimer = undefined;
  }

  /** No more pushes of overflowing events either; one already in flight still completes. */
  stop(): void {
    this.stopped = true;
    this.stopDraining();
    clearImmediate(this.pushImmediate);
    this.pushImmediate = undefined;
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
    return new Array<Error | null>(count).fill(error instanceof Error ? error : new Error(String(error)));
  }
  const outcomes: (Error | null)[] = [];
  for (let index = 0; index < count; index++) {
    // A missing reply is a failure: whether that command ran is unknown, and retrying is safer.
    const reply = results?.[index];
    outcomes.push(reply === undefined ? new Error("no reply from Redis") : reply[0]);
  }
  return outcomes;
}
