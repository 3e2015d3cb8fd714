/**
 * Holds this worker's jobs and runs them: at most `concurrency` at once, up to `prefetch` more
 * claimed ahead. Started jobs are settled through the Finisher; their lifecycle events are
 * published once their outcome is stored. Cancel signals abort the running job; shutdown hands
 * prefetched jobs back at once and in-flight ones after the grace period.
 */
import { toErrorInfo, type JobEvent } from "@upnext/core";
import type { ClaimedJob, ClaimResult, DependentRef, QueueBackend } from "../../backend/queue-backend.js";
import { ClaimsCache, type HeldEntry } from "./claims-cache.js";
import type { ClaimBudget } from "./fetcher.js";
import { Finisher } from "./finisher.js";
import { JobExecution, type ExecutionDeps, type ExecutionEnd } from "./job-execution.js";
import { emitJobEvent, jobEvent } from "../status/job-events.js";
import { JobStats } from "../observability/job-stats.js";
import type { Logger } from "../observability/logger.js";
import { ReadyQueue } from "./ready-queue.js";
import type { StatusPublisher } from "../status/status-publisher.js";
import type { TaskDefinition } from "./task-definition.js";
import { activeTracer, startRunSpan, withRunSpan, type RunSpan } from "../observability/tracing.js";

export interface ProcessorCounters {
  completed: number;
  failed: number;
  retried: number;
  cancelled: number;
  timedOut: number;
  handedBack: number;
  discardedFinishes: number;
  badEntries: number;
}

export interface JobProcessorOptions {
  readonly backend: QueueBackend;
  readonly publisher: StatusPublisher;
  readonly definitions: ReadonlyMap<string, TaskDefinition>;
  readonly workerId: string;
  readonly concurrency: number;
  readonly prefetch: number;
  readonly leaseMs: number;
  readonly claimsMaxAgeMs: number;
  readonly claimsSweepEvery: number;
  readonly logger: Logger;
  readonly executionDeps: ExecutionDeps;
  /** DAG children of jobs that just ended; resolved by the runtime. */
  readonly onDependents: (dependents: DependentRef[]) => void;
  /** Per-function counters, shared with the lease recovery (JobSweep). */
  readonly stats: JobStats;
  /** Record a span per attempt when an OpenTelemetry SDK is registered (false: never). */
  readonly tracing: boolean;
}

export class JobProcessor implements ClaimBudget {
  readonly claims: ClaimsCache<JobExecution>;
  readonly finisher: Finisher;
  /** Counters with no function breakdown; the others are summed from `stats`. */
  private readonly workerCounters = { handedBack: 0, discardedFinishes: 0, badEntries: 0 };
  /** Hand-backs (release calls) that failed on a Redis error. */
  releaseFailures = 0;
  private readonly ready = new ReadyQueue();
  private readonly capacity: number;
  private reserved = 0;
  private running = 0;
  private stopping = false;
  private roomWaiters: (() => void)[] = [];
  private readonly finalizing = new Set<Promise<void>>();
  private runningWaiters: (() => void)[] = [];

  constructor(private readonly options: JobProcessorOptions) {
    this.capacity = options.concurrency + options.prefetch;
    this.claims = new ClaimsCache(options.claimsMaxAgeMs, options.claimsSweepEvery, (stale) => {
      for (const entry of stale) this.ready.remove(entry.job.id);
      options.logger.warn(
        { jobs: stale.map((entry) => entry.job.id) },
        "evicted stale entries from the claims cache; their leases will expire and the queue will re-deliver them",
      );
    });
    this.finisher = new Finisher({
      backend: options.backend,
      workerId: options.workerId,
      leaseMs: options.leaseMs,
      maxBatch: 500,
      logger: options.logger,
      reserveClaims: () => (this.stopping ? 0 : this.reserve(this.available())),
      runnable: () => this.runnable(),
      onDependents: (dependents) => {
        options.onDependents(dependents);
      },
      onClaimed: (fn, result, reserved) => {
        this.accept(fn, result, reserved);
      },
      traced: () => this.traced(),
    });
  }

  /** Outcome counters of every job this worker ran, summed over functions. */
  get counters(): Readonly<ProcessorCounters> {
    const totals = this.options.stats.totals();
    return {
      completed: totals.completed,
      failed: totals.failed,
      retried: totals.retried,
      cancelled: totals.cancelled,
      timedOut: totals.timedOut,
      ...this.workerCounters,
    };
  }

  /** Whether claims should read trace context: spans are being recorded. */
  traced(): boolean {
    return this.options.tracing && activeTracer() !== undefined;
  }

  get activeCount(): number {
    return this.running;
  }

  get prefetchedCount(): number {
    return this.ready.size;
  }

  // ClaimBudget -------------------------------------------------------------

  available(): number {
    if (this.stopping) return 0;
    return Math.max(0, this.capacity - this.claims.size - this.reserved);
  }

  runnable(): number {
    if (this.stopping) return 0;
    return Math.max(0, this.options.concurrency - this.running - this.ready.size);
  }

  reserve(count: number): number {
    const granted = Math.max(0, Math.min(count, this.available()));
    this.reserved += granted;
    return granted;
  }

  accept(fn: string, result: ClaimResult, reserved: number): void {
    this.reserved -= reserved;
    for (const bad of result.bad) {
      this.workerCounters.badEntries++;
      this.options.logger.warn(
        { function: fn, entryId: bad.entryId, kind: bad.kind, detail: bad.detail.slice(0, 200) },
        bad.kind === "missing"
          ? "acknowledged a stream entry whose job no longer exists"
          : "acknowledged a malformed stream entry",
      );
    }
    for (const job of result.jobs) {
      this.claims.add(job);
      this.ready.push(job);
    }
    this.pump();
    if (this.available() > 0) this.wakeRoomWaiters();
  }

  waitForRoom(): Promise<void> {
    if (this.available() > 0 || this.stopping) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const waiter of waiters) waiter();
  }

  // Running jobs ------------------------------------------------------------

  private pump(): void {
    while (!this.stopping && this.running < this.options.concurrency) {
      const job = this.ready.shift();
      if (!job) return;
      const entry = this.claims.get(job.id);
      if (!entry) continue; // cancelled or evicted while waiting
      this.running++;
      void this.execute(entry);
    }
  }

  private async execute(entry: HeldEntry<JobExecution>): Promise<void> {
    const job = entry.job;
    const definition = this.options.definitions.get(job.function);
    const stats = this.options.stats.of(job.function);
    let end: ExecutionEnd;
    let execution: JobExecution | undefined;
    let runSpan: RunSpan | undefined;
    let seconds = 0;
    if (!definition) {
      // Only registered functions are claimed, so this means a bug; hand the job back.
      end = { kind: "hand-back" };
    } else {
      execution = new JobExecution(job, definition, this.options.executionDeps);
      entry.execution = execution;
      entry.state = "running";
      const startedAt = execution.startedAt;
      const queueWaitMs = Math.max(0, startedAt - (job.scheduledAt ?? job.createdAt));
      stats.started++;
      stats.active++;
      stats.queueWait.observe(queueWaitMs / 1000);
      const tracer = this.options.tracing ? activeTracer() : undefined;
      if (tracer) runSpan = startRunSpan(tracer, job, this.options.workerId, queueWaitMs, startedAt);
      const started = emitJobEvent(
        this.options.publisher,
        "started",
        execution.context.identity(),
        this.options.workerId,
        { startedAt, queueWaitMs, deliveries: job.deliveries },
      );
      if (started) await started;
      const running = execution;
      try {
        // The handler (and its hooks) run with the attempt's span active: what it submits joins the trace.
        end = await withRunSpan(runSpan, () => running.run());
      } catch (error) {
        // run() handles handler errors itself; reaching here is a bug in the runtime. Failing the
        // job (not handing it back) keeps a deterministic crash from re-running it forever.
        this.options.logger.error({ jobId: job.id, err: toErrorInfo(error) }, "job execution crashed");
        end = execution.crashed(error);
      }
      stats.active--;
      seconds = (Date.now() - startedAt) / 1000;
    }
    entry.state = "settling";
    this.running--;
    this.notifyRunning();
    this.pump();
    const finalizing = this.finalize(entry, execution, end, seconds, runSpan).catch((error: unknown) => {
      this.options.logger.error({ jobId: job.id, err: toErrorInfo(error) }, "finalizing a job failed");
    });
    this.finalizing.add(finalizing);
    void finalizing.finally(() => this.finalizing.delete(finalizing));
  }

  private async finalize(
    entry: HeldEntry<JobExecution>,
    execution: JobExecution | undefined,
    end: ExecutionEnd,
    seconds: number,
    runSpan: RunSpan | undefined,
  ): Promise<void> {
    const job = entry.job;
    const hooks = execution?.definition.hooks;
    const ctx = execution?.context;
    const stats = this.options.stats.of(job.function);
    if (end.kind === "hand-back") {
      runSpan?.end("handed-back");
      await this.handBack([job]);
      return;
    }
    if (end.kind === "cancelled") {
      runSpan?.end("cancelled");
      this.claims.remove(job.id);
      stats.cancelled++;
      this.wakeRoomWaiters();
      if (hooks?.onComplete && ctx)
        await this.runHook(job, "onComplete", () => hooks.onComplete?.(ctx, { status: "cancelled" }));
      return;
    }
    const outcome = end.outcome;
    // The first attempt that is retried leaves its span context on the job, for later attempts to link to.
    const traceFirst = outcome.kind === "retry" && runSpan && !job.traceFirst ? runSpan.encoded() : undefined;
    const result = await this.finisher.settle(job.function, {
      id: job.id,
      token: job.token,
      outcome,
      traceFirst,
    });
    this.claims.remove(job.id);
    this.wakeRoomWaiters();
    if (result === "ok") {
      stats.settled(outcome.kind, seconds, end.failure?.reason, execution?.abortedBy() === "timeout");
      runSpan?.end(outcome.kind, end.failure);
      await this.publishAll(end.events);
      if (end.terminal && hooks?.onComplete && ctx) {
        const terminal = end.terminal;
        await this.runHook(job, "onComplete", () => hooks.onComplete?.(ctx, terminal));
      }
      return;
    }
    if (result === "cancelled") {
      runSpan?.end("cancelled");
      stats.cancelled++;
      if (hooks?.onComplete && ctx)
        await this.runHook(job, "onComplete", () => hooks.onComplete?.(ctx, { status: "cancelled" }));
      return;
    }
    runSpan?.end("discarded");
    this.workerCounters.discardedFinishes++;
    this.options.logger.warn(
      { jobId: job.id, function: job.function, currentStatus: result, outcome: end.outcome.kind },
      "discarded a late finish: the job's lease was lost and it was re-delivered or settled elsewhere",
    );
  }

  private async publishAll(events: readonly JobEvent[]): Promise<void> {
    for (const event of events) {
      const pending = this.options.publisher.publish(event);
      if (pending) await pending;
    }
  }

  private async runHook(job: ClaimedJob, name: string, call: () => void | Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.options.logger.warn(
        { jobId: job.id, function: job.function, hook: name, err: toErrorInfo(error) },
        `hook ${name} threw; the job's outcome is unchanged`,
      );
    }
  }

  /** A cancel signal for a job this worker may hold. */
  cancelled(jobId: string): void {
    const entry = this.claims.get(jobId);
    if (!entry) return;
    if (entry.state === "running") {
      entry.execution?.abort("cancel");
    } else if (entry.state === "prefetched") {
      this.ready.remove(jobId);
      this.claims.remove(jobId);
      this.options.stats.of(entry.job.function).cancelled++;
      this.wakeRoomWaiters();
    }
  }

  private async handBack(jobs: readonly ClaimedJob[]): Promise<void> {
    const byFunction = new Map<string, ClaimedJob[]>();
    for (const job of jobs) {
      const list = byFunction.get(job.function) ?? [];
      list.push(job);
      byFunction.set(job.function, list);
    }
    for (const [fn, list] of byFunction) {
      let results: string[];
      try {
        results = await this.options.backend.release(fn, list);
      } catch (error) {
        // Not released: the leases lapse and the queue re-delivers these jobs.
        this.releaseFailures++;
        this.options.logger.warn(
          { function: fn, jobs: list.length, err: String(error) },
          "handing jobs back failed",
        );
        results = list.map(() => "failed-to-release");
      }
      list.forEach((job, index) => {
        this.claims.remove(job.id);
        if (results[index] !== "ok") return;
        this.workerCounters.handedBack++;
        const pending = this.options.publisher.publish(
          jobEvent(
            "queued",
            {
              jobId: job.id,
              function: job.function,
              attempt: job.attempt - 1,
              parentId: job.parentId,
              rootId: job.rootId,
            },
            this.options.workerId,
            { from: "handed-back" },
          ),
        );
        void pending;
      });
    }
    this.wakeRoomWaiters();
  }

  private notifyRunning(): void {
    if (this.running > 0) return;
    const waiters = this.runningWaiters;
    this.runningWaiters = [];
    for (const waiter of waiters) waiter();
  }

  /**
   * Graceful shutdown: stop starting jobs, hand prefetched ones back now, let running ones
   * finish for `graceMs`, then abort and hand back the rest; wait until every outcome is stored.
   */
  async drain(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wakeRoomWaiters();
    const prefetched = this.ready.drain();
    await this.handBack(prefetched);
    if (this.running > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.runningWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    for (const entry of this.claims.inState("running")) entry.execution?.abort("shutdown");
    while (this.running > 0 || this.finalizing.size > 0) {
      await Promise.all([...this.finalizing]);
      if (this.running > 0) await new Promise<void>((resolve) => this.runningWaiters.push(resolve));
    }
    await this.finisher.idle();
  }
}
