/**
 * What crosses the boundary between the thread pool (main thread) and a pooled thread: the job the
 * pool sends, the context messages and the reply the thread sends back, and the handler and
 * context types a thread module is written against. Both sides import this file and neither
 * imports the other.
 */

import type { ErrorInfo } from "@upnext/core";

/** Messages a handler inside a thread sends to the job's real context in the main thread. */
export type ThreadContextMessage =
  | {
      readonly kind: "progress";
      readonly value: number | { current: number; total: number };
      readonly message?: string;
    }
  | {
      readonly kind: "log";
      readonly level: "debug" | "info" | "warn" | "error";
      readonly message: string;
      readonly fields?: Record<string, unknown>;
    }
  | {
      readonly kind: "metric";
      readonly name: string;
      readonly value: number;
      readonly labels?: Record<string, string>;
    };

/** The context a thread handler receives. Every call is forwarded to the job's context in the main thread. */
export interface ThreadContext {
  readonly jobId: string;
  readonly attempt: number;
  readonly functionName: string;
  /**
   * Never fires. A timeout or cancel terminates the whole thread at once (a hard stop that needs no
   * cooperation), so no code in the thread runs afterwards to see an abort.
   */
  readonly signal: AbortSignal;
  readonly progress: (value: number | { current: number; total: number }, message?: string) => void;
  readonly log: (
    level: "debug" | "info" | "warn" | "error",
    message: string,
    fields?: Record<string, unknown>,
  ) => void;
  readonly recordMetric: (name: string, value: number, labels?: Record<string, string>) => void;
}

/** The shape of a module export run with `isolate: "thread"`. Input and output must be structured-clonable. */
export type ThreadHandler<I, O> = (input: I, ctx: ThreadContext) => O | Promise<O>;

export interface ThreadJob {
  /** Absolute path or file: URL of a .js/.mjs/.ts/.mts module. */
  readonly modulePath: string;
  /** Usually "default". */
  readonly exportName: string;
  /** Structured-clonable. */
  readonly input: unknown;
  readonly jobId: string;
  readonly attempt: number;
  readonly functionName: string;
  /** Abort => the thread running this job is terminated at once. */
  readonly signal: AbortSignal;
  readonly onMessage: (message: ThreadContextMessage) => void;
}

/** @internal What the pool sends to a thread: the job minus what cannot cross (signal, callback). */
export type RunRequest = { readonly type: "run"; readonly id: number } & Omit<
  ThreadJob,
  "signal" | "onMessage"
>;

/** @internal An error as it crosses the thread boundary (structured clone drops custom names and codes). */
export type SerializedError = ErrorInfo;

/** @internal What a thread sends back, always tagged with the request's id. */
export type ThreadReply =
  | { readonly type: "context"; readonly id: number; readonly message: ThreadContextMessage }
  | { readonly type: "done"; readonly id: number; readonly value: unknown }
  | { readonly type: "failed"; readonly id: number; readonly error: SerializedError };

/** @internal Given by the pool at spawn time. */
export interface ThreadData {
  /** The bootstrap already registered tsx (needed to load this very file from source). */
  readonly typescriptLoader: boolean;
}
