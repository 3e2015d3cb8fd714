/**
 * A task as the runtime sees it: options already validated and resolved (see
 * sdk/task-options.ts, which turns what a user wrote into this).
 */
import type { BackoffPolicy, ErrorInfo, PayloadLimit } from "@upnext/core";
import type { Context } from "./context.js";

/** Anything with a zod-style `parse` that returns the validated value or throws. */
export interface InputSchema<T> {
  parse(value: unknown): T;
}

export type TaskHandler<I, O> = (input: I, ctx: Context) => O | Promise<O>;

/** How a job ended, as given to `onComplete`. */
export type TaskOutcome<O> =
  | { readonly status: "complete"; readonly result: O }
  | { readonly status: "failed"; readonly error: ErrorInfo; readonly reason: string }
  | { readonly status: "cancelled"; readonly reason?: string | undefined };

export interface TaskHooks<O> {
  /** Before the handler runs (outside its timeout). */
  readonly onStart?: (ctx: Context) => void | Promise<void>;
  /** After the handler returned, before the result is stored. */
  readonly onSuccess?: (ctx: Context, result: O) => void | Promise<void>;
  /** After a failed attempt that will be retried at `nextAttemptAt`. */
  readonly onRetry?: (ctx: Context, error: unknown, nextAttemptAt: Date) => void | Promise<void>;
  /** After the last attempt failed (retries exhausted, timeout, invalid input). */
  readonly onFailure?: (ctx: Context, error: unknown) => void | Promise<void>;
  /** Once the job reached a terminal state and it was stored: complete, failed or cancelled. */
  readonly onComplete?: (ctx: Context, outcome: TaskOutcome<O>) => void | Promise<void>;
}

export interface ThreadTarget {
  /** Absolute path or file: URL of the module holding the handler. */
  readonly module: string;
  readonly exportName: string;
}

export type RateKeyFunction<I = unknown> = (input: I) => string;

export interface FlowControl {
  readonly concurrency?: number | undefined;
  readonly group?: { readonly name: string; readonly max: number | undefined } | undefined;
  readonly rate?:
    | {
        readonly limit: number;
        readonly windowMs: number;
        /** As written by the user ("100/m"), for messages. */
        readonly text: string;
        readonly key?: RateKeyFunction | undefined;
        readonly onEnqueue?: "reject" | "delay" | undefined;
      }
    | undefined;
}

export interface TaskDefinition {
  readonly name: string;
  readonly kind: "task";
  readonly handler?: TaskHandler<unknown, unknown> | undefined;
  readonly thread?: ThreadTarget | undefined;
  readonly maxAttempts: number;
  readonly backoff: BackoffPolicy;
  readonly timeoutMs: number;
  readonly input?: InputSchema<unknown> | undefined;
  readonly maxDeliveries: number;
  readonly priority: number;
  /** How far one point of priority moves a job ahead (UPNEXT_PRIORITY_STEP). */
  readonly priorityStepMs: number;
  readonly flow: FlowControl;
  readonly hooks: TaskHooks<unknown>;
  readonly progressMinDelta: number;
  readonly progressMinIntervalMs: number;
  readonly checkpointVersion: number;
  readonly migrateCheckpoint?: ((state: unknown, fromVersion: number) => unknown) | undefined;
  /** Largest JSON encoding of an input, result, checkpoint or metadata (UPNEXT_MAX_PAYLOAD_SIZE). */
  readonly payloadLimit: PayloadLimit;
  /** Options as published in the function registry (plain JSON). */
  readonly summary: Readonly<Record<string, unknown>>;
}
