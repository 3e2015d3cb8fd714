/**
 * A task as producers see it: submit one job, many jobs in one round trip, or submit and wait.
 * Input is validated against the task's schema before anything is enqueued.
 */
import {
  InvalidInputError,
  InvalidOptionError,
  SerializationError,
  newJobId,
  normalizeIdempotencyKey,
  parseDuration,
  type Duration,
  type JobOrigin,
} from "@upnext/core";
import type { NewJob } from "../backend/queue-backend.js";
import type { Connection } from "../runtime/connection.js";
import { jobEvent } from "../runtime/job-events.js";
import { lineageFor } from "../runtime/lineage.js";
import type { TaskDefinition } from "../runtime/task-definition.js";
import { JobRef, type ResultOptions } from "./job-ref.js";
import { checkPriority, rejectUnknown } from "./task-options.js";

export interface SubmitOptions {
  /** Run no earlier than this long from now. */
  readonly delay?: Duration;
  /** Run no earlier than this time (Date or epoch ms). */
  readonly runAt?: Date | number;
  /** Submitting the same key again (within UPNEXT_IDEMPOTENCY_TTL) returns the existing job. */
  readonly idempotencyKey?: string;
  /** Overrides the task's priority (higher runs first). */
  readonly priority?: number;
  /** Key/value pairs attached to every event and log of the job. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Free-form JSON data readable as `ctx.metadata`. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

const SUBMIT_OPTION_NAMES = new Set(["delay", "runAt", "idempotencyKey", "priority", "tags", "metadata"]);

function issuesOf(error: unknown): string {
  const issues = (error as { issues?: unknown }).issues;
  if (Array.isArray(issues)) {
    return issues
      .map((issue: { path?: unknown[]; message?: string }) => {
        const path = Array.isArray(issue.path) && issue.path.length > 0 ? issue.path.join(".") : "(input)";
        return `${path}: ${issue.message ?? "invalid"}`;
      })
      .join("; ");
  }
  return error instanceof Error ? error.message : String(error);
}

function checkTags(tags: unknown): Record<string, string> {
  if (tags === undefined) return {};
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) {
    throw new InvalidOptionError("tags", tags, "give an object of string values");
  }
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== "string")
      throw new InvalidOptionError(`tags.${key}`, value, "tag values are strings");
  }
  return tags as Record<string, string>;
}

export class TaskHandle<I = unknown, O = unknown> {
  constructor(
    readonly definition: TaskDefinition,
    private readonly connection: () => Connection,
  ) {}

  get name(): string {
    return this.definition.name;
  }

  /**
   * Validates and encodes one submission without touching Redis. `origin` is set by the
   * runtime for cron runs, event deliveries and replays.
   */
  prepare(input: I, options: SubmitOptions = {}, now: number = Date.now(), origin?: JobOrigin): NewJob {
    const { definition } = this;
    if (typeof options !== "object")
      throw new InvalidOptionError("submit options", options, "give an options object");
    rejectUnknown("submit options", options, SUBMIT_OPTION_NAMES);
    let value: unknown = input;
    if (definition.input) {
      try {
        value = definition.input.parse(input);
      } catch (error) {
        throw new InvalidInputError(definition.name, issuesOf(error), { cause: error });
      }
    }
    let encoded: string | undefined;
    try {
      encoded = JSON.stringify(value === undefined ? null : value);
    } catch (error) {
      throw new SerializationError(`The input of task '${definition.name}'`, error);
    }
    if (options.delay !== undefined && options.runAt !== undefined) {
      throw new InvalidOptionError("delay", options.delay, "give either delay or runAt, not both");
    }
    let runAt: number | null = null;
    if (options.delay !== undefined) runAt = now + parseDuration(options.delay, "delay");
    if (options.runAt !== undefined) {
      const at = options.runAt instanceof Date ? options.runAt.getTime() : options.runAt;
      if (typeof at !== "number" || !Number.isFinite(at)) {
        throw new InvalidOptionError("runAt", options.runAt, "give a Date or epoch milliseconds");
      }
      runAt = at;
    }
    const id = newJobId(now);
    const lineage = lineageFor(id);
    const metadata = options.metadata ?? {};
    if (typeof metadata !== "object" || Array.isArray(metadata)) {
      throw new InvalidOptionError("metadata", metadata, "give an object");
    }
    return {
      id,
      function: definition.name,
      input: encoded,
      maxAttempts: definition.maxAttempts,
      maxDeliveries: definition.maxDeliveries,
      priority:
        options.priority === undefined ? definition.priority : checkPriority("priority", options.priority),
      parentId: lineage.parentId,
      rootId: lineage.rootId,
      idempotencyKey:
        options.idempotencyKey === undefined ? null : normalizeIdempotencyKey(options.idempotencyKey),
      runAt: runAt !== null && runAt > now ? runAt : null,
      timeoutMs: null,
      tags: checkTags(options.tags),
      metadata,
      createdAt: now,
      origin,
    };
  }

  async submit(input: I, options?: SubmitOptions): Promise<JobRef<O>> {
    const [ref] = await this.submitJobs([this.prepare(input, options)]);
    if (!ref) throw new Error("enqueue returned no job");
    return ref;
  }

  /** Submits many jobs in one pipelined round trip. All inputs are validated first: one bad input enqueues nothing. */
  async submitMany(inputs: readonly I[], options?: SubmitOptions): Promise<JobRef<O>[]> {
    const now = Date.now();
    const jobs = inputs.map((input) => this.prepare(input, options, now));
    return this.submitJobs(jobs);
  }

  /** Submits and waits for the result (see JobRef.result for the errors). */
  async run(input: I, options: SubmitOptions & ResultOptions = {}): Promise<O> {
    const { timeout, signal, ...submitOptions } = options;
    const ref = await this.submit(input, submitOptions);
    return ref.result({ ...(timeout !== undefined ? { timeout } : {}), ...(signal ? { signal } : {}) });
  }

  /** A reference to an existing job of this task. */
  ref(jobId: string): JobRef<O> {
    return new JobRef<O>(jobId, this.definition.name, this.connection);
  }

  /** Enqueues prepared jobs and publishes their creation events. */
  async submitJobs(jobs: readonly NewJob[]): Promise<JobRef<O>[]> {
    const connection = this.connection();
    const results = await connection.backend.enqueue(jobs);
    const refs: JobRef<O>[] = [];
    const pending: Promise<void>[] = [];
    results.forEach((result, index) => {
      const job = jobs[index];
      refs.push(this.ref(result.id));
      if (!result.created || !job) return;
      const identity = {
        jobId: job.id,
        function: job.function,
        attempt: 0,
        parentId: job.parentId,
        rootId: job.rootId,
        tags: job.tags,
      };
      const created = {
        input: JSON.parse(job.input) as unknown,
        maxAttempts: job.maxAttempts,
        priority: job.priority,
        idempotencyKey: job.idempotencyKey,
        ...(Object.keys(job.metadata).length > 0 ? { metadata: { ...job.metadata } } : {}),
        ...(job.origin ? { origin: job.origin } : {}),
      };
      const event =
        result.status === "scheduled"
          ? jobEvent("scheduled", identity, null, { ...created, runAt: job.runAt ?? job.createdAt })
          : jobEvent("queued", identity, null, { ...created, from: "submit" });
      const wait = connection.publisher.publish(event);
      if (wait) pending.push(wait);
    });
    await Promise.all(pending);
    return refs;
  }
}
