/**
 * Work the server does on a timer (retention, alert evaluation, artifact housekeeping, live
 * snapshots), one run at a time: the next run is timed from the end of the last one, so a slow
 * database never piles runs up; a run asked for by hand waits for the running one; stop() waits
 * for the running one too, so shutdown never closes the connections under it.
 */

export interface PeriodicTaskOptions<T> {
  readonly run: () => Promise<T>;
  readonly intervalMs: number;
  /** A timed run failed; the next interval tries again. (A run from runNow() rejects instead.) */
  readonly onError: (error: unknown) => void;
}

export class PeriodicTask<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private started = false;

  constructor(private readonly options: PeriodicTaskOptions<T>) {}

  /** Starts the timer (again after stop()); the first run comes after `firstDelayMs`. */
  start(firstDelayMs = this.options.intervalMs): void {
    if (this.started) return;
    this.started = true;
    this.schedule(firstDelayMs);
  }

  /** Runs now, after the running run if there is one; the caller gets the result or the error. */
  runNow(): Promise<T> {
    const run = this.running.then(() => this.options.run());
    this.running = run.catch(() => undefined);
    return run;
  }

  /** Stops the timer and resolves when the running run is over. */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.tick();
    }, delayMs);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    this.running = this.running
      .then(() => this.options.run())
      .catch((error: unknown) => {
        this.options.onError(error);
      })
      .finally(() => {
        // A stop() and start() during the run has already scheduled the next one.
        if (this.started && this.timer === undefined) this.schedule(this.options.intervalMs);
      });
  }
}
