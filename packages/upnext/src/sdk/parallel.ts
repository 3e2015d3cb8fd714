/**
 * Parallel helpers over jobs (docs/workflows.md): wait for many, fan out with a concurrency
 * limit, race and cancel the losers. Waiting costs no connection per job: every wait shares the
 * process's one signal subscriber. Called inside a job, the jobs these helpers submit are its
 * children, like any submit.
 */
import { InvalidOptionError, parseDuration, type Duration } from "@upnext/core";
import type { JobRef } from "./job-ref.js";
import type { SubmitOptions, TaskHandle } from "./task-handle.js";
import { rejectUnknown } from "./task-options.js";

export interface GatherOptions {
  /** How long to wait for all of them; a WaitTimeoutError is thrown after it (the jobs keep going). */
  readonly timeout?: Duration;
  /** Stops waiting when aborted. */
  readonly signal?: AbortSignal;
}

/** The result type of each JobRef of a tuple or array. */
export type ResultsOf<T extends readonly JobRef[]> = {
  -readonly [K in keyof T]: T[K] extends JobRef<infer O> ? O : never;
};

const GATHER_OPTION_NAMES = new Set(["timeout", "signal"]);

/** One abort for every wait of a call, following the caller's signal too. */
function linkedWaits(signal: AbortSignal | undefined): {
  signal: AbortSignal;
  abort: (reason: unknown) => void;
  release: () => void;
} {
  const controller = new AbortController();
  const onAbort = () => {
    controller.abort(signal?.reason);
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    abort: (reason) => {
      controller.abort(reason);
    },
    release: () => {
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

/**
 * Waits for every job and returns their results in the order given. Rejects with the first
 * failure (a TaskFailedError, TaskCancelledError or WaitTimeoutError); the other jobs keep
 * running, they are not cancelled, and the other waits stop.
 */
export async function gather<const T extends readonly JobRef[]>(
  refs: T,
  options: GatherOptions = {},
): Promise<ResultsOf<T>> {
  rejectUnknown("gather options", options, GATHER_OPTION_NAMES);
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, "timeout");
  const waits = linkedWaits(options.signal);
  try {
    const results = await Promise.all(
      refs.map((ref) =>
        ref
          .result({ signal: waits.signal, ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}) })
          .catch((error: unknown) => {
            // The first failure ends every other wait of this call (their jobs keep running).
            waits.abort(error);
            throw error;
          }),
      ),
    );
    return results as ResultsOf<T>;
  } finally {
    waits.release();
  }
}

export interface MapTasksOptions extends SubmitOptions {
  /** Jobs of this call submitted and not yet finished, at most (default 10). */
  readonly concurrency?: number;
  /** How long to wait for each job's result. */
  readonly timeout?: Duration;
  readonly signal?: AbortSignal;
}

/**
 * Runs `task` once per input with at most `concurrency` of its jobs in flight, and returns the
 * results in input order. A job is submitted only when a slot is free, so the limit holds
 * however many workers there are. On the first failure nothing more is submitted and the call
 * rejects with it; jobs already in flight keep running.
 */
export async function mapTasks<I, O>(
  task: TaskHandle<I, O>,
  inputs: readonly I[],
  options: MapTasksOptions = {},
): Promise<O[]> {
  const { concurrency = 10, timeout, signal, ...submitOptions } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidOptionError("concurrency", concurrency, "use a whole number >= 1");
  }
  if (submitOptions.idempotencyKey !== undefined) {
    throw new InvalidOptionError(
      "idempotencyKey",
      submitOptions.idempotencyKey,
      "one key would make every input the same job; submit with a key per input instead",
    );
  }
  const timeoutMs = timeout === undefined ? undefined : parseDuration(timeout, "timeout");
  // Every input is validated before anything is submitted, as in submitMany.
  const now = Date.now();
  for (const input of inputs) task.prepare(input, submitOptions, now);

  const results = new Array<O>(inputs.length);
  const waits = linkedWaits(signal);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < inputs.length) {
      const index = next++;
      const ref = await task.submit(inputs[index] as I, submitOptions);
      results[index] = await ref.result({
        signal: waits.signal,
        ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}),
      });
    }
  };
  try {
    const lanes = Array.from({ length: Math.min(concurrency, inputs.length) }, () =>
      lane().catch((error: unknown) => {
        failed = true;
        waits.abort(error);
        throw error;
      }),
    );
    await Promise.all(lanes);
    return results;
  } finally {
    waits.release();
  }
}

export interface FirstCompletedOptions {
  /** Cancel every other job once one succeeds (default true): they stop, and never run if still queued. */
  readonly cancelRest?: boolean;
  /** How long to wait; a job not finished by then counts as failed (WaitTimeoutError). */
  readonly timeout?: Duration;
  readonly signal?: AbortSignal;
}

export interface FirstCompleted<O> {
  readonly value: O;
  /** The job that won. */
  readonly ref: JobRef<O>;
  /** Its position in the refs given. */
  readonly index: number;
}

const FIRST_OPTION_NAMES = new Set(["cancelRest", "timeout", "signal"]);

/**
 * Resolves with the first job to complete successfully, and (unless `cancelRest: false`) cancels
 * every other job before returning. A job that fails does not win; when every job failed, it
 * rejects with an AggregateError holding each job's error, in the order given.
 */
export async function firstCompleted<O>(
  refs: readonly JobRef<O>[],
  options: FirstCompletedOptions = {},
): Promise<FirstCompleted<O>> {
  rejectUnknown("firstCompleted options", options, FIRST_OPTION_NAMES);
  if (refs.length === 0) throw new InvalidOptionError("refs", [], "give at least one job");
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, "timeout");
  const waits = linkedWaits(options.signal);
  let winner: FirstCompleted<O>;
  try {
    winner = await Promise.any(
      refs.map(async (ref, index) => {
        const value = await ref.result({
          signal: waits.signal,
          ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}),
        });
        return { value, ref, index };
      }),
    );
  } catch (error) {
    options.signal?.throwIfAborted();
    if (error instanceof AggregateError) {
      throw new AggregateError(error.errors, `All ${refs.length} job(s) failed; none completed.`);
    }
    throw error;
  } finally {
    // Stops the losers' waits at once (their jobs are handled below).
    waits.abort(new Error("firstCompleted settled"));
    waits.release();
  }
  if (options.cancelRest !== false) {
    await Promise.all(
      refs.map(async (ref, index) => {
        if (index === winner.index) return;
        // A job that finished meanwhile or expired cannot be cancelled: nothing to do.
        await ref.cancel(`another job (${winner.ref.id}) completed first`).catch(() => false);
      }),
    );
  }
  return winner;
}

/** Submits one job per input in one pipelined round trip; same as `task.submitMany(inputs, options)`. */
export function submitMany<I, O>(
  task: TaskHandle<I, O>,
  inputs: readonly I[],
  options?: SubmitOptions,
): Promise<JobRef<O>[]> {
  return task.submitMany(inputs, options);
}
