/**
 * The `ctx` a handler receives, as the handler sees it: the type task definitions, hooks and
 * thread handlers are written against. runtime/execution/job-context.ts implements it.
 */
import type { JobOrigin } from "@upnext/core";
import type { JobArtifacts } from "../artifacts/artifact-uploader.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Context {
  readonly jobId: string;
  readonly function: string;
  /** 1 on the first attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly parentId: string | null;
  readonly rootId: string;
  /** Aborts on timeout, on cancel, and when a shutdown hands the job back. */
  readonly signal: AbortSignal;
  /** Key/value pairs attached to every event and log of this job; add to it freely. */
  readonly tags: Record<string, string>;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Set for cron runs (schedule, the slot it ran for, catch-up or not), event deliveries and replays. */
  readonly origin: JobOrigin | null;
  /** A fraction in [0, 1] or {current, total}. Lower than the last value: rejected with a warning. */
  progress(value: number | { readonly current: number; readonly total: number }, message?: string): void;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  /** Stores state the next attempt can read with lastCheckpoint(). Resolves once stored. */
  checkpoint(state: unknown, options?: { readonly version?: number }): Promise<void>;
  /** The last checkpoint of this job (from an earlier attempt or this one), migrated to the task's version. */
  lastCheckpoint<T = unknown>(): Promise<T | undefined>;
  recordMetric(name: string, value: number, labels?: Record<string, string>): void;
  /** The DAG parents this job waited for (see `dependsOn`), with their outcome and result. */
  parents(): Promise<ParentResult[]>;
  /** Files of this job stored on the history server (UPNEXT_SERVER_URL); see docs/artifacts.md. */
  readonly artifacts: JobArtifacts;
}

export interface ParentResult {
  readonly id: string;
  readonly function: string;
  /** complete, failed or cancelled; "missing" when the parent's record has expired. */
  readonly status: string;
  readonly result?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
}
