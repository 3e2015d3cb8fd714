/**
 * The `ctx` a handler receives: identity, cancellation, and the ways a running job reports on
 * itself (progress, logs, checkpoints, metrics). Writes go through the backend's compare-and-set
 * on the claim token, so a job that lost its lease can never write over its successor.
 */
import {
  InvalidOptionError,
  SerializationError,
  WorkerStateError,
  getConfig,
  type JobOrigin,
} from "@upnext/core";
import type { QueueBackend } from "../backend/queue-backend.js";
import type { ClaimedJob } from "../backend/queue-backend.js";
import { ArtifactUploader, type JobArtifacts } from "./artifact-uploader.js";
import { emitJobEvent, type JobIdentity } from "./job-events.js";
import type { Logger } from "./logger.js";
import { ProgressCoalescer } from "./progress-coalescer.js";
import type { StatusPublisher } from "./status-publisher.js";
import type { TaskDefinition } from "./task-definition.js";

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

export interface JobContextDeps {
  readonly backend: QueueBackend;
  readonly publisher: StatusPublisher;
  readonly workerId: string;
  readonly logger: Logger;
  /** Uploads `ctx.artifacts`; default: one built from the environment's configuration. */
  readonly artifacts?: ArtifactUploader;
}

export function toFraction(value: number | { readonly current: number; readonly total: number }): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new InvalidOptionError(
        "progress",
        value,
        "give a fraction between 0 and 1, or { current, total }",
      );
    }
    return value;
  }
  const { current, total } = value;
  if (!Number.isFinite(current) || !Number.isFinite(total) || total <= 0 || current < 0 || current > total) {
    throw new InvalidOptionError("progress", value, "current must be between 0 and total, and total above 0");
  }
  return current / total;
}

/**
 * A stored checkpoint as the task's code expects it: as stored when its version is the task's,
 * migrated by `migrateCheckpoint` when it is not, ignored (with a warning) when there is no way.
 */
export async function readCheckpoint<T>(
  stored: { readonly state: string; readonly version: number } | null,
  definition: TaskDefinition,
  logger: Logger,
): Promise<T | undefined> {
  if (!stored) return undefined;
  const state = JSON.parse(stored.state) as unknown;
  const wanted = definition.checkpointVersion;
  if (stored.version === wanted) return state as T;
  const migrate = definition.migrateCheckpoint;
  if (!migrate) {
    logger.warn(
      { storedVersion: stored.version, taskVersion: wanted },
      "checkpoint version differs from the task's checkpointVersion and the task has no migrateCheckpoint; ignoring the checkpoint",
    );
    return undefined;
  }
  return (await migrate(state, stored.version)) as T;
}

export class JobContext implements Context {
  readonly tags: Record<string, string>;
  private readonly progressGate: ProgressCoalescer;
  private checkpointState: { state: string; version: number } | null;
  private logger: Logger | undefined;
  private artifactsApi: JobArtifacts | undefined;

  constructor(
    private readonly job: ClaimedJob,
    private readonly definition: TaskDefinition,
    private readonly signalSource: () => AbortSignal,
    private readonly deps: JobContextDeps,
  ) {
    this.tags = { ...job.tags };
    this.checkpointState = job.checkpoint;
    this.progressGate = new ProgressCoalescer(definition.progressMinDelta, definition.progressMinIntervalMs);
  }

  get signal(): AbortSignal {
    return this.signalSource();
  }

  // A child logger per job only when the job logs: most never do.
  private get log_(): Logger {
    this.logger ??= this.deps.logger.child({
      jobId: this.job.id,
      function: this.job.function,
      attempt: this.job.attempt,
    });
    return this.logger;
  }

  get artifacts(): JobArtifacts {
    this.artifactsApi ??= {
      put: (name, data, options) => {
        const uploader =
          this.deps.artifacts ??
          new ArtifactUploader({
            serverUrl: getConfig().serverUrl,
            apiToken: getConfig().apiToken,
            logger: this.log_,
          });
        return uploader.put({
          jobId: this.job.id,
          name,
          data,
          contentType: options?.contentType,
          signal: this.signal,
        });
      },
    };
    return this.artifactsApi;
  }

  get jobId(): string {
    return this.job.id;
  }
  get function(): string {
    return this.job.function;
  }
  get attempt(): number {
    return this.job.attempt;
  }
  get maxAttempts(): number {
    return this.job.maxAttempts;
  }
  get parentId(): string | null {
    return this.job.parentId;
  }
  get rootId(): string {
    return this.job.rootId;
  }
  get metadata(): Readonly<Record<string, unknown>> {
    return this.job.metadata;
  }
  get origin(): JobOrigin | null {
    return this.job.origin;
  }
  /** The last accepted progress fraction. */
  get currentProgress(): number {
    return this.progressGate.current;
  }

  identity(): JobIdentity {
    return {
      jobId: this.job.id,
      function: this.job.function,
      attempt: this.job.attempt,
      parentId: this.job.parentId,
      rootId: this.job.rootId,
      tags: this.tags,
    };
  }

  private write(fields: Record<string, string>): Promise<boolean> {
    return this.deps.backend.updateRunningJob(this.job.function, this.job, fields);
  }

  progress(value: number | { readonly current: number; readonly total: number }, message?: string): void {
    const fraction = toFraction(value);
    const decision = this.progressGate.decide(fraction, message, Date.now());
    if (decision === "regression") {
      this.log_.warn(
        { progress: fraction, last: this.progressGate.current },
        "progress went backwards and was rejected; progress only moves forward",
      );
      return;
    }
    if (decision === "coalesce") return;
    this.write({ progress: String(fraction) }).catch((error: unknown) => {
      this.log_.warn({ err: String(error) }, "could not store progress");
    });
    const extra = typeof value === "number" ? {} : { current: value.current, total: value.total };
    void emitJobEvent(this.deps.publisher, "progress", this.identity(), this.deps.workerId, {
      progress: fraction,
      ...extra,
      ...(message !== undefined ? { message } : {}),
    });
  }

  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.log_[level]({ ...fields, tags: this.tags }, message);
    void emitJobEvent(this.deps.publisher, "log", this.identity(), this.deps.workerId, {
      level,
      message,
      ...(fields ? { fields } : {}),
    });
  }

  recordMetric(name: string, value: number, labels?: Record<string, string>): void {
    if (typeof name !== "string" || name.length === 0 || !Number.isFinite(value)) {
      throw new InvalidOptionError(
        "recordMetric",
        { name, value },
        "give a non-empty name and a finite number",
      );
    }
    void emitJobEvent(this.deps.publisher, "metric", this.identity(), this.deps.workerId, {
      name,
      value,
      ...(labels ? { labels } : {}),
    });
  }

  async checkpoint(state: unknown, options?: { readonly version?: number }): Promise<void> {
    const version = options?.version ?? this.definition.checkpointVersion;
    if (!Number.isInteger(version) || version < 1) {
      throw new InvalidOptionError("checkpoint version", version, "use a whole number >= 1");
    }
    let encoded: string;
    try {
      encoded = JSON.stringify(state);
    } catch (error) {
      throw new SerializationError("The checkpoint state", error);
    }
    const stored = await this.write({ checkpoint: encoded, checkpointVersion: String(version) });
    if (!stored) {
      throw new WorkerStateError(
        `Checkpoint of job '${this.job.id}' was not stored: the job is no longer running under this claim (cancelled, timed out or re-delivered).`,
      );
    }
    this.checkpointState = { state: encoded, version };
    await emitJobEvent(this.deps.publisher, "checkpoint", this.identity(), this.deps.workerId, {
      version,
      state,
    });
  }

  async parents(): Promise<ParentResult[]> {
    return Promise.all(
      this.job.parents.map(async (parent): Promise<ParentResult> => {
        const snapshot = await this.deps.backend.getJob(parent.id, parent.function);
        if (!snapshot) return { id: parent.id, function: parent.function, status: "missing" };
        return {
          id: parent.id,
          function: parent.function,
          status: snapshot.status,
          ...(snapshot.result !== undefined ? { result: snapshot.result } : {}),
          ...(snapshot.error
            ? { error: { name: snapshot.error.name, message: snapshot.error.message } }
            : {}),
        };
      }),
    );
  }

  async lastCheckpoint<T = unknown>(): Promise<T | undefined> {
    return readCheckpoint<T>(this.checkpointState, this.definition, this.log_);
  }
}
