/**
 * A circuit breaker around one dependency (Redis or the database). While it is open, calls fail
 * at once with DependencyUnavailableError (answered as 503) instead of waiting on a dead
 * connection, and a probe checks the dependency on a timer until it answers again.
 */
import { EventEmitter } from "node:events";

export type BreakerState = "closed" | "open";

export class DependencyUnavailableError extends Error {
  readonly code = "dependency_unavailable";
  constructor(
    readonly dependency: string,
    readonly retryAfterMs: number,
    cause?: unknown,
  ) {
    super(
      `${dependency} is unavailable; the request was not carried out. Retry after the dependency recovers` +
        (cause instanceof Error ? ` (${cause.message}).` : "."),
      { cause },
    );
    this.name = "DependencyUnavailableError";
  }
}

export interface CircuitBreakerOptions {
  /** Shown in errors and logs: "redis", "database". */
  readonly name: string;
  /** A cheap call that succeeds only when the dependency works (PING, SELECT 1). */
  readonly probe: () => Promise<void>;
  /** Whether an error means the dependency is down (as opposed to a bad query or a missing row). */
  readonly isOutage: (error: unknown) => boolean;
  /** Consecutive outage errors that open the circuit. */
  readonly failureThreshold?: number;
  /** Pause between probes while open. */
  readonly probeIntervalMs?: number;
}

export const DEFAULT_FAILURE_THRESHOLD = 1;
export const DEFAULT_PROBE_INTERVAL_MS = 1_000;

export interface CircuitBreakerEvents {
  open: [error: unknown];
  close: [];
}

export class CircuitBreaker extends EventEmitter<CircuitBreakerEvents> {
  private currentState: BreakerState = "closed";
  private failures = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private lastError: unknown;
  private stopped = false;
  readonly name: string;
  private readonly probeIntervalMs: number;
  private readonly failureThreshold: number;

  constructor(private readonly options: CircuitBreakerOptions) {
    super();
    this.name = options.name;
    this.probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.failureThreshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
  }

  get state(): BreakerState {
    return this.currentState;
  }

  get isOpen(): boolean {
    return this.currentState === "open";
  }

  /** Runs `call` unless the circuit is open; an outage error opens it and becomes a 503. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.currentState === "open") throw this.unavailable(this.lastError);
    try {
      const result = await call();
      this.failures = 0;
      return result;
    } catch (error) {
      if (!this.options.isOutage(error)) throw error;
      this.recordOutage(error);
      throw this.unavailable(error);
    }
  }

  /** Reports an outage seen outside `run` (a connection's close event, a failed background read). */
  recordOutage(error: unknown): void {
    this.lastError = error;
    this.failures += 1;
    if (this.currentState === "closed" && this.failures >= this.failureThreshold) this.open(error);
  }

  /** Checks the dependency now; closes the circuit when it answers. */
  async check(): Promise<boolean> {
    try {
      await this.options.probe();
    } catch (error) {
      if (this.options.isOutage(error) || this.currentState === "open") {
        this.recordOutage(error);
        return false;
      }
      throw error;
    }
    this.failures = 0;
    if (this.currentState === "open") this.closeCircuit();
    return true;
  }

  stop(): void {
    this.stopped = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private unavailable(cause: unknown): DependencyUnavailableError {
    return new DependencyUnavailableError(this.name, this.probeIntervalMs, cause);
  }

  private open(error: unknown): void {
    this.currentState = "open";
    this.emit("open", error);
    this.scheduleProbe();
  }

  private closeCircuit(): void {
    this.currentState = "closed";
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.emit("close");
  }

  private scheduleProbe(): void {
    if (this.stopped || this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.check().then(
        (ok) => {
          if (!ok) this.scheduleProbe();
        },
        () => {
          this.scheduleProbe();
        },
      );
    }, this.probeIntervalMs);
    this.probeTimer.unref();
  }
}
