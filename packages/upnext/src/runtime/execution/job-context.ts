/**
 * The `ctx` a handler receives: identity, cancellation, and the ways a running job reports on
 * itself (progress, logs, checkpoints, metrics). Writes go through the backend's compare-and-set
 * on the claim token, so a job that lost its lease can never write over its successor.
 */
import { InvalidOptionError, encodePayload, WorkerStateError } from "@upnext/core";
import type { QueueBackend } from "../../backend/queue-backend.js";
import type { ClaimedJob } from "../../backend/queue-backend.js";
import { ArtifactUploader, type JobArtifacts } from "../artifacts/artifact-uploader.js";
import { emitJobEvent } from "../status/job-events.js";
import type { Logger } from "../observability/logger.js";
import { getConfig } from "../process-config.js";
import { ProgressCoalescer, type ProgressUpdate } from "./progress-coalescer.js";
import type { StatusPublisher } from "../status/status-publisher.js";
import { ClaimedJobView } from "./claimed-job-view.js";
import type { TaskDefinition } from "./task-definition.js";
import type { Context, LogLevel, ParentResult } from "./context.js";

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

export class JobContext extends ClaimedJobView implements Context {
  private readonly progressGate: ProgressCoalescer;
  private progressTimer: NodeJS.Timeout | undefined;
  private progressWriting = false;
  private progressToStore: number | undefined;
  private checkpointState: { state: string; version: number } | null;
  private logger: Logger | undefined;
  private artifactsApi: JobArtifacts | undefined;

  constructor(
    job: ClaimedJob,
    private readonly definition: TaskDefinition,
    signalSource: () => AbortSignal,
    private readonly deps: JobContextDeps,
  ) {
    super(job, signalSource);
    this.checkpointState = job.checkpoint;
    this.progressGate = new ProgressCoalescer(definition.progressMinDelta, definition.progressMinIntervalMs);
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

  /** The last accepted progress fraction. */
  get currentProgress(): number {
    return this.progressGate.current;
  }

  private write(fields: Record<string, string>): Promise<boolean> {
    return this.deps.backend.updateRunningJob(this.job.function, this.job, fields);
  }

  progress(value: number | { readonly current: number; readonly total: number }, message?: string): void {
    const fraction = toFraction(value);
    const update = { fraction, message, counts: typeof value === "number" ? undefined : value };
    const decision = this.progressGate.decide(update, Date.now());
    if (decision === "regression") {
      this.log_.warn(
        { progress: fraction, last: this.progressGate.current },
        "progress went backwards and was rejected; progress only moves forward",
      );
      return;
    }
    if (decision === "send") {
      this.sendProgress(update);
      return;
    }
    // Coalesced: sent once minInterval has passed since the last one, unless a later update or
    // the job's end sends it first.
    if (this.progressTimer === undefined) {
      this.progressTimer = setTimeout(
        () => {
          this.progressTimer = undefined;
          this.flushProgress();
        },
        Math.max(0, this.progressGate.dueAt - Date.now()),
      );
      this.progressTimer.unref();
    }
  }

  /** Sends the last coalesced progress update, if any (on its timer, and when the job ends). */
  flushProgress(): void {
    clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
    const update = this.progressGate.takePending(Date.now());
    if (update) this.sendProgress(update);
  }

  /**
   * Writes progress to the job, one write at a time: while one is on its way the latest value
   * waits for it, so a job reporting progress during a Redis outage queues one command, not one
   * per update.
   */
  private storeProgress(fraction: number): void {
    if (this.progressWriting) {
      this.progressToStore = fraction;
      return;
    }
    this.progressWriting = true;
    this.write({ progress: String(fraction) })
      .catch((error: unknown) => {
        this.log_.warn({ err: String(error) }, "could not store progress");
      })
      .finally(() => {
        this.progressWriting = false;
        const next = this.progressToStore;
        this.progressToStore = undefined;
        if (next !== undefined) this.storeProgress(next);
      });
  }

  private sendProgress(update: ProgressUpdate): void {
    const { fraction, message, counts } = update;
    this.storeProgress(fraction);
    void emitJobEvent(this.deps.publisher, "progress", this.identity(), this.deps.workerId, {
      progress: fraction,
      ...(counts ? { current: counts.current, total: counts.total } : {}),
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
    const encoded = encodePayload(
      state,
      `The checkpoint of job '${this.job.id}'`,
      "state",
      this.definition.payloadLimit,
    );
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
