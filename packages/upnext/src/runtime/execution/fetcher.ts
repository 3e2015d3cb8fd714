/**
 * The claim loop. While the worker has room it claims jobs function by function (taking turns
 * which function goes first); when every function's queue is empty it blocks on one XREAD over
 * all their streams, from the last entry each claim saw, so it wakes the moment a job arrives
 * without polling and without missing an entry added in between.
 */
import type { Redis } from "ioredis";
import type { ClaimResult, QueueBackend } from "../../backend/queue-backend.js";
import type { Logger } from "../observability/logger.js";

export interface ClaimBudget {
  /** How many more jobs may be claimed now. */
  available(): number;
  /** Free running slots (jobs that could start at once): the most a capped function may claim. */
  runnable(): number;
  /** Reserves up to `count` claims; returns how many were reserved. */
  reserve(count: number): number;
  /** Hands claimed jobs over and releases the reservation. */
  accept(fn: string, result: ClaimResult, reserved: number): void;
  /** Resolves when room frees up (or the worker stops). */
  waitForRoom(): Promise<void>;
}

export interface FetcherOptions {
  readonly backend: QueueBackend;
  readonly functions: readonly string[];
  readonly streamKey: (fn: string) => string;
  readonly workerId: string;
  readonly leaseMs: number;
  readonly budget: ClaimBudget;
  readonly blockingClient: () => Redis;
  /** Longest idle wait before claiming again anyway. */
  readonly idleBlockMs: number;
  readonly logger: Logger;
  /** Whether claims also read the jobs' trace context (an OpenTelemetry SDK records spans). */
  readonly traced: () => boolean;
}

const MAX_ERROR_DELAY_MS = 5_000;

export class Fetcher {
  private running: Promise<void> | undefined;
  private stopped = false;

  // A method, not the field, in loop conditions: stop() flips it while the loop awaits.
  private isStopped(): boolean {
    return this.stopped;
  }
  private blocking: Redis | undefined;
  private turn = 0;
  private errors = 0;
  /** Claim rounds (or idle waits) that failed on a Redis error. */
  failures = 0;
  /** Functions that said "not before": paused, at their concurrency cap, or rate limited. */
  private readonly blockedUntil = new Map<string, number>();

  constructor(private readonly options: FetcherOptions) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Disconnecting aborts a pending XREAD BLOCK at once.
    this.blocking?.disconnect();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { functions, budget } = this.options;
    while (!this.stopped) {
      if (budget.available() <= 0) {
        await budget.waitForRoom();
        continue;
      }
      try {
        const dry = await this.claimRound();
        this.errors = 0;
        const now = Date.now();
        const open = functions.filter((fn) => (this.blockedUntil.get(fn) ?? 0) <= now);
        if (!this.isStopped() && open.every((fn) => dry.has(fn))) await this.waitForWork(dry, now);
      } catch (error) {
        if (this.isStopped()) break;
        this.errors++;
        this.failures++;
        const delay = Math.min(MAX_ERROR_DELAY_MS, 50 * 2 ** Math.min(this.errors, 10));
        this.options.logger.warn({ err: String(error), retryInMs: delay }, "claiming jobs failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** One pass over the functions; returns those whose queue ran dry, with their last entry id. */
  private async claimRound(): Promise<Map<string, string>> {
    const { functions, backend, budget } = this.options;
    const dry = new Map<string, string>();
    const start = this.turn++ % functions.length;
    for (let i = 0; i < functions.length && !this.stopped; i++) {
      const fn = functions[(start + i) % functions.length];
      if (fn === undefined || (this.blockedUntil.get(fn) ?? 0) > Date.now()) continue;
      const reserved = budget.reserve(budget.available());
      if (reserved <= 0) break;
      let result: ClaimResult;
      try {
        result = await backend.claim(fn, {
          workerId: this.options.workerId,
          count: reserved,
          leaseMs: this.options.leaseMs,
          now: Date.now(),
          runnable: budget.runnable(),
          traced: this.options.traced(),
        });
      } catch (error) {
        budget.accept(fn, { jobs: [], bad: [], lastId: null }, reserved);
        throw error;
      }
      budget.accept(fn, result, reserved);
      if (result.blockedUntil !== undefined) this.blockedUntil.set(fn, result.blockedUntil);
      else this.blockedUntil.delete(fn);
      if (result.lastId !== null) dry.set(fn, result.lastId);
    }
    return dry;
  }

  /**
   * Waits for a new entry on a dry function's stream, or until the earliest blocked function may
   * be tried again, whichever comes first.
   */
  private async waitForWork(lastIds: Map<string, string>, now: number): Promise<void> {
    let timeout = this.options.idleBlockMs;
    for (const until of this.blockedUntil.values()) {
      if (until > now) timeout = Math.min(timeout, until - now);
    }
    timeout = Math.max(1, Math.ceil(timeout));
    if (lastIds.size === 0) {
      await new Promise((resolve) => setTimeout(resolve, timeout));
      return;
    }
    this.blocking ??= this.options.blockingClient();
    const keys = [...lastIds.keys()].map((fn) => this.options.streamKey(fn));
    const ids = [...lastIds.values()];
    try {
      await this.blocking.xread("COUNT", 1, "BLOCK", timeout, "STREAMS", ...keys, ...ids);
    } catch (error) {
      if (!this.stopped) throw error;
    }
  }
}
