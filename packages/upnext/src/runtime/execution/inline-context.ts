/**
 * The `ctx` of an inline run (`task.execute`, see sdk/inline-execution.ts): the same contract as
 * a queued job's JobContext, but what the job reports (progress, logs, checkpoints, metrics,
 * artifacts) is recorded in memory and returned to the caller instead of stored in Redis or sent
 * to the history server. Nothing here touches the network.
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import {
  InvalidOptionError,
  SerializationError,
  newJobId,
  validateArtifactName,
  validateContentType,
} from "@upnext/core";
import type { ClaimedJob } from "../../backend/queue-backend.js";
import { prepareArtifactBody } from "../artifacts/artifact-body.js";
import type { Artifact, JobArtifacts } from "../artifacts/artifact-uploader.js";
import type { ExecutionContext } from "./job-execution.js";
import type { LogLevel, ParentResult } from "./context.js";
import { readCheckpoint, toFraction } from "./job-context.js";
import type { Logger } from "../observability/logger.js";
import { ClaimedJobView } from "./claimed-job-view.js";
import type { TaskDefinition } from "./task-definition.js";

export interface RecordedProgress {
  /** The fraction in [0, 1]. */
  readonly value: number;
  readonly message?: string;
  readonly current?: number;
  readonly total?: number;
}

export interface RecordedLog {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

export interface RecordedCheckpoint {
  /** The state as the next attempt would read it (after the JSON round trip). */
  readonly state: unknown;
  readonly version: number;
}

export interface RecordedMetric {
  readonly name: string;
  readonly value: number;
  readonly labels?: Record<string, string>;
}

export interface RecordedArtifact {
  readonly name: string;
  readonly contentType: string;
  readonly data: Buffer;
}

/** Everything an inline run reported, in the order it was reported. */
export interface InlineRecord {
  readonly progress: RecordedProgress[];
  readonly logs: RecordedLog[];
  readonly checkpoints: RecordedCheckpoint[];
  readonly metrics: RecordedMetric[];
  readonly artifacts: RecordedArtifact[];
}

async function readAll(body: Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export class InlineContext extends ClaimedJobView implements ExecutionContext {
  readonly record: InlineRecord = { progress: [], logs: [], checkpoints: [], metrics: [], artifacts: [] };
  private lastProgress = 0;
  private checkpointState: { state: string; version: number } | null;
  private readonly logger: Logger;

  constructor(
    job: ClaimedJob,
    private readonly definition: TaskDefinition,
    signalSource: () => AbortSignal,
    private readonly parentResults: readonly ParentResult[],
    logger: Logger,
  ) {
    super(job, signalSource);
    this.checkpointState = job.checkpoint;
    this.logger = logger.child({ jobId: job.id, function: job.function, attempt: job.attempt, inline: true });
  }

  /** Every accepted value is recorded: an inline run has no store to spare, so nothing is coalesced. */
  /** An inline run records every progress update as it comes, so nothing is held back. */
  flushProgress(): void {
    return;
  }

  progress(value: number | { readonly current: number; readonly total: number }, message?: string): void {
    const fraction = toFraction(value);
    if (fraction < this.lastProgress) {
      this.logger.warn(
        { progress: fraction, last: this.lastProgress },
        "progress went backwards and was rejected; progress only moves forward",
      );
      return;
    }
    this.lastProgress = fraction;
    this.record.progress.push({
      value: fraction,
      ...(message !== undefined ? { message } : {}),
      ...(typeof value === "number" ? {} : { current: value.current, total: value.total }),
    });
  }

  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.logger[level]({ ...fields, tags: this.tags }, message);
    this.record.logs.push({ level, message, ...(fields ? { fields } : {}) });
  }

  recordMetric(name: string, value: number, labels?: Record<string, string>): void {
    if (typeof name !== "string" || name.length === 0 || !Number.isFinite(value)) {
      throw new InvalidOptionError(
        "recordMetric",
        { name, value },
        "give a non-empty name and a finite number",
      );
    }
    this.record.metrics.push({ name, value, ...(labels ? { labels } : {}) });
  }

  checkpoint(state: unknown, options?: { readonly version?: number }): Promise<void> {
    const version = options?.version ?? this.definition.checkpointVersion;
    if (!Number.isInteger(version) || version < 1) {
      return Promise.reject(new InvalidOptionError("checkpoint version", version, "use a whole number >= 1"));
    }
    // Not a string for undefined, functions and symbols, whatever the lib's signature says.
    let encoded: unknown;
    try {
      encoded = JSON.stringify(state);
    } catch (error) {
      return Promise.reject(new SerializationError("The checkpoint state", error));
    }
    // A queued job stores the text; the next attempt reads what it parses back to.
    const stored = typeof encoded === "string" ? encoded : "null";
    this.checkpointState = { state: stored, version };
    this.record.checkpoints.push({ state: JSON.parse(stored) as unknown, version });
    return Promise.resolve();
  }

  lastCheckpoint<T = unknown>(): Promise<T | undefined> {
    return readCheckpoint<T>(this.checkpointState, this.definition, this.logger);
  }

  parents(): Promise<ParentResult[]> {
    return Promise.resolve([...this.parentResults]);
  }

  readonly artifacts: JobArtifacts = {
    put: async (name, data, options): Promise<Artifact> => {
      validateArtifactName(name);
      if (options?.contentType !== undefined) validateContentType(options.contentType);
      const body = await prepareArtifactBody(data, this.signal);
      try {
        const bytes = await readAll(body.open());
        const contentType = options?.contentType ?? body.defaultContentType;
        this.record.artifacts.push({ name, contentType, data: bytes });
        return {
          id: newJobId(),
          jobId: this.job.id,
          name,
          contentType,
          size: bytes.length,
          sha256: createHash("sha256").update(bytes).digest("hex"),
          createdAt: new Date().toISOString(),
          pending: false,
        };
      } finally {
        await body.dispose();
      }
    },
  };
}
