/**
 * A handle on one submitted job: read its status, wait for its result, cancel it. Waiting uses
 * the process's single signal subscriber (no connection or subscription per job) and re-checks
 * the stored status after a reconnect, so a missed message cannot hang a caller.
 */
import {
  JobNotFoundError,
  TaskCancelledError,
  TaskFailedError,
  TaskTimeoutError,
  WaitTimeoutError,
  isTerminal,
  parseDuration,
  type Duration,
  type JobSnapshot,
  type JobStatus,
} from "@upnext/core";
import type { NamespaceClient } from "../runtime/namespace-client.js";
import { jobEvent } from "../runtime/status/job-events.js";

export interface ResultOptions {
  /** How long to wait; a WaitTimeoutError is thrown after it (the job keeps going). */
  readonly timeout?: Duration;
  /** Stops waiting when aborted (rejects with the signal's reason). */
  readonly signal?: AbortSignal;
}

/** Safety net against a lost pub/sub message: how often a waiting caller re-reads the status. */
const RECHECK_MS = 5_000;

export class JobRef<O = unknown> {
  constructor(
    readonly id: string,
    readonly functionName: string,
    private readonly connection: () => NamespaceClient,
  ) {}

  /** The job as stored now. Throws JobNotFoundError when it does not exist (or expired). */
  async status(): Promise<JobSnapshot> {
    const snapshot = await this.connection().backend.getJob(this.id, this.functionName);
    if (!snapshot) throw new JobNotFoundError(this.id);
    return snapshot;
  }

  /**
   * Waits until the job is terminal and returns its result; throws TaskFailedError (or its
   * subclass TaskTimeoutError) when it failed, TaskCancelledError when it was cancelled,
   * WaitTimeoutError when `timeout` passes first.
   */
  async result(options: ResultOptions = {}): Promise<O> {
    const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, "timeout");
    const connection = this.connection();
    const { subscriber, backend } = connection;
    options.signal?.throwIfAborted();
    await subscriber.ready();

    let lastStatus: JobStatus | undefined;
    const terminal = await new Promise<JobSnapshot>((resolve, reject) => {
      let settled = false;
      const cleanups: (() => void)[] = [];
      const finish = (action: () => void) => {
        if (settled) return;
        settled = true;
        for (const cleanup of cleanups) cleanup();
        action();
      };
      const check = async () => {
        try {
          const status = await backend.watch(this.id, this.functionName);
          if (status === undefined) {
            finish(() => {
              reject(new JobNotFoundError(this.id));
            });
            return;
          }
          lastStatus = status;
          if (!isTerminal(status)) return;
          const snapshot = await backend.getJob(this.id, this.functionName);
          finish(() => {
            if (snapshot) resolve(snapshot);
            else reject(new JobNotFoundError(this.id));
          });
        } catch (error) {
          finish(() => {
            reject(error instanceof Error ? error : new Error(String(error)));
          });
        }
      };
      cleanups.push(subscriber.onDone(this.id, () => void check()));
      cleanups.push(subscriber.onReconnect(() => void check()));
      const recheck = setInterval(() => void check(), RECHECK_MS);
      cleanups.push(() => {
        clearInterval(recheck);
      });
      if (timeoutMs !== undefined) {
        const timer = setTimeout(() => {
          finish(() => {
            reject(new WaitTimeoutError(this.id, timeoutMs, lastStatus));
          });
        }, timeoutMs);
        cleanups.push(() => {
          clearTimeout(timer);
        });
      }
      if (options.signal) {
        const signal = options.signal;
        const onAbort = () => {
          finish(() => {
            reject(signal.reason instanceof Error ? signal.reason : new Error("The wait was aborted."));
          });
        };
        signal.addEventListener("abort", onAbort, { once: true });
        cleanups.push(() => {
          signal.removeEventListener("abort", onAbort);
        });
      }
      void check();
    });
    return outcomeOf(terminal) as O;
  }

  /**
   * Cancels the job. Queued or scheduled: it never runs. Running: its handler's signal aborts on
   * whichever worker holds it, and it is recorded as cancelled even if the handler ignores that.
   * Returns false when the job had already finished.
   */
  async cancel(reason?: string): Promise<boolean> {
    return cancelJob(this.connection(), this.id, reason, this.functionName);
  }
}

export async function cancelJob(
  connection: NamespaceClient,
  jobId: string,
  reason?: string,
  fn?: string,
): Promise<boolean> {
  const result = await connection.backend.cancel(jobId, reason, fn);
  if (result.outcome === "missing") throw new JobNotFoundError(jobId);
  if (result.outcome === "terminal" || result.previous === null || result.function === null) return false;
  const pending = connection.publisher.publish(
    jobEvent(
      "cancelled",
      {
        jobId,
        function: result.function,
        attempt: result.attempt,
        parentId: result.parentId,
        rootId: result.rootId ?? jobId,
      },
      null,
      { previous: result.previous, ...(reason !== undefined ? { reason } : {}) },
    ),
  );
  if (pending) await pending;
  if (result.dependents.length > 0) {
    await connection.dependencies.resolve(result.dependents);
  }
  return true;
}

/** Turns a terminal snapshot into the value `result()` returns or the error it throws. */
export function outcomeOf(snapshot: JobSnapshot): unknown {
  switch (snapshot.status) {
    case "complete":
      return snapshot.result;
    case "cancelled":
      throw new TaskCancelledError(snapshot.id, snapshot.function, snapshot.cancelReason);
    default: {
      const error = snapshot.error ?? { name: "Error", message: "unknown error" };
      if (snapshot.failureReason === "timeout") {
        throw new TaskTimeoutError(snapshot.id, snapshot.function, error, snapshot.attempt);
      }
      throw new TaskFailedError(
        snapshot.id,
        snapshot.function,
        error,
        snapshot.failureReason ?? "exception",
        snapshot.attempt,
      );
    }
  }
}
