/**
 * What the benchmark parent (run.ts) and its worker children (child.ts) share: the job input,
 * the IPC messages, the cross-process clock and the percentile helper.
 */
import { performance } from "node:perf_hooks";

export type SystemName = "upnext" | "bullmq";

export const SYSTEM_LABEL: Readonly<Record<SystemName, string>> = { upnext: "UpNext", bullmq: "BullMQ" };

/**
 * How a BullMQ row keeps finished jobs, set on its `Worker` (a `KeepJobs` object: the Worker's
 * option is typed `KeepJobs`, and a bare `true` there breaks BullMQ's finish script; see
 * bench/README.md):
 * - `keep-all`: removeOnComplete/removeOnFail not set (BullMQ's default, every finished job kept);
 * - `age-24h`: `{ age: 86400 }` for both, UpNext's default retention;
 * - `remove-on-complete`: removeOnComplete `{ count: 0 }` (what `removeOnComplete: true` on a job means).
 */
export type BullmqRetention = "keep-all" | "age-24h" | "remove-on-complete";

export const BULLMQ_RETENTIONS: readonly BullmqRetention[] = ["keep-all", "age-24h", "remove-on-complete"];

/** One system in one configuration: a row of the table. */
export interface Contender {
  readonly system: SystemName;
  /** BullMQ only; null for UpNext. */
  readonly retention: BullmqRetention | null;
}

export function contenderLabel(contender: Contender): string {
  return contender.retention === null
    ? SYSTEM_LABEL[contender.system]
    : `${SYSTEM_LABEL[contender.system]} ${contender.retention}`;
}

/** Input of every benchmark job: `t` is when it was enqueued (see `now`), `w` marks a warm-up job. */
export interface JobInput {
  readonly t: number;
  readonly w?: 1;
}

/**
 * Wall-clock epoch milliseconds with sub-millisecond resolution. `performance.timeOrigin` is
 * the wall clock at process start, so values from the parent and a child are comparable.
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export type Mode = "burst" | "sustained";

/**
 * How UpNext traces in a run: `off` = `Worker({ tracing: false })` (no tracing code runs), `api` =
 * the default with `@opentelemetry/api` present and no SDK registered, `sdk` = an OpenTelemetry SDK
 * registered in the worker child (every span recorded, exported in batches to a no-op exporter).
 */
export type TracingMode = "off" | "api" | "sdk";

/** What a child is told to do (passed as JSON in argv[2]). */
export interface ChildSpec {
  readonly system: SystemName;
  readonly mode: Mode;
  readonly redisUrl: string;
  /** UpNext namespace or BullMQ queue name of the measured jobs. */
  readonly queue: string;
  /** Burst only: warm-up runs on a throwaway worker on this queue, stopped before the burst. */
  readonly warmQueue: string | null;
  readonly warmJobs: number;
  readonly concurrency: number;
  /** Burst only: how many jobs the parent enqueued. */
  readonly burstJobs: number;
  /** Longest wait for the measured jobs to finish before reporting what completed. */
  readonly drainTimeoutMs: number;
  /** Print the child's counters every few seconds (--verbose). */
  readonly verbose: boolean;
  /** UpNext only: see TracingMode. */
  readonly tracing: TracingMode;
  /** BullMQ only: how finished jobs are kept (null for UpNext). */
  readonly retention: BullmqRetention | null;
}

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface ChildResult {
  readonly completed: number;
  /** Burst: when the handler ran for the first measured job. */
  readonly firstStart: number | null;
  /** When the outcome of the last measured job was stored. */
  readonly lastFinish: number | null;
  /** Sustained: enqueue -> handler start. */
  readonly start: Percentiles | null;
  /** Sustained: enqueue -> outcome stored. */
  readonly finish: Percentiles | null;
  /** Peak RSS of the worker process, sampled every 100 ms during the measured phase. */
  readonly peakRssMb: number;
  /** RSS of the child before it loaded the system's library (Node and the harness alone). */
  readonly baselineRssMb: number;
  /** CPU time (user + system) of the worker process during the measured phase. */
  readonly cpuS: number;
  readonly timedOut: boolean;
  /** System-specific counters (UpNext: status buffer metrics). */
  readonly details: Readonly<Record<string, unknown>>;
}

export type ParentMessage =
  { readonly type: "go" } | { readonly type: "expect"; readonly count: number } | { readonly type: "stop" };

export type ChildMessage =
  | { readonly type: "ready" }
  | { readonly type: "warm-done" }
  | { readonly type: "result"; readonly result: ChildResult }
  | { readonly type: "stopped" }
  | { readonly type: "error"; readonly message: string };

function typeOf(value: unknown): unknown {
  return typeof value === "object" && value !== null ? (value as { type?: unknown }).type : undefined;
}

const PARENT_TYPES: ReadonlySet<unknown> = new Set<ParentMessage["type"]>(["go", "expect", "stop"]);
const CHILD_TYPES: ReadonlySet<unknown> = new Set<ChildMessage["type"]>([
  "ready",
  "warm-done",
  "result",
  "stopped",
  "error",
]);

export function isParentMessage(value: unknown): value is ParentMessage {
  return PARENT_TYPES.has(typeOf(value));
}

export function isChildMessage(value: unknown): value is ChildMessage {
  return CHILD_TYPES.has(typeOf(value));
}

/** Nearest-rank percentiles (ms, two decimals); null for no samples. */
export function percentiles(samples: readonly number[]): Percentiles | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number): number => {
    const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return round2(sorted[index] ?? Number.NaN);
  };
  return { p50: at(50), p95: at(95), p99: at(99), max: at(100) };
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Settings shared by both systems' worker adapters. */
export interface WorkerSettings {
  readonly redisUrl: string;
  readonly queue: string;
  readonly concurrency: number;
  /** UpNext only: false builds the worker with `tracing: false`. */
  readonly tracing: boolean;
  /** BullMQ only: how finished jobs are kept (null for UpNext). */
  readonly retention: BullmqRetention | null;
}

/** Called by an adapter when the handler runs and when the job's outcome has been stored. */
export interface WorkerHooks {
  readonly started: (input: JobInput) => void;
  readonly finished: (input: JobInput) => void;
}

/** One system's worker, as the child drives it. */
export interface BenchWorker {
  start(): Promise<void>;
  stop(): Promise<void>;
  details(): Readonly<Record<string, unknown>>;
}

export type WorkerFactory = (settings: WorkerSettings, hooks: WorkerHooks) => BenchWorker;

/** One system's producer, as the parent drives it. */
export interface BenchProducer {
  /** Opens the connection, so connecting is not part of what is timed. */
  connect(): Promise<void>;
  submitBulk(inputs: readonly JobInput[]): Promise<void>;
  submitOne(input: JobInput): Promise<void>;
  close(): Promise<void>;
}

/** What each system module (system-upnext.ts, system-bullmq.ts) exports as `system`. */
export interface BenchSystem {
  readonly createWorker: WorkerFactory;
  /** `tracing`: UpNext only, false builds the producer with `tracing: false`. */
  readonly createProducer: (redisUrl: string, queue: string, tracing?: boolean) => BenchProducer;
  /** SCAN pattern matching every key of one queue/namespace (the parent UNLINKs what is left). */
  readonly keyPattern: (queue: string) => string;
  /** System-specific removal, run before that SCAN + UNLINK. */
  readonly cleanup?: (redisUrl: string, queue: string) => Promise<void>;
}
