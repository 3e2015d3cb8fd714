/**
 * A task as producers see it: submit one job, many jobs in one round trip, or submit and wait.
 * Input is validated against the task's schema before anything is enqueued.
 */
import {
  InvalidInputError,
  InvalidOptionError,
  encodePayload,
  newJobId,
  normalizeIdempotencyKey,
  parseDuration,
  type Duration,
  type JobOrigin,
} from "@upnext/core";
import type { NewJob, ParentFailurePolicy } from "../backend/queue-backend.js";
import type { NamespaceClient } from "../runtime/namespace-client.js";
import { lineageFor } from "../runtime/execution/lineage.js";
import type { TaskDefinition } from "../runtime/execution/task-definition.js";
import {
  EXECUTE_OPTION_NAMES,
  executeInline,
  type ExecuteOptions,
  type InlineRun,
} from "./inline-execution.js";
import { JobRef, type ResultOptions } from "./job-ref.js";
import { rateKeyOf } from "./flow-control-options.js";
import { resolveParents, submitPrepared, type ParentInput } from "./job-submitter.js";
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
  /**
   * DAG parents (JobRefs or job ids, which must exist): the job waits until every one of them
   * has ended, then runs — or not, per `onParentFailure`.
   */
  readonly dependsOn?: readonly ParentInput[];
  /** When a parent fails or is cancelled: "fail" this job too (default), "skip" it (cancelled), or "continue". */
  readonly onParentFailure?: ParentFailurePolicy;
}

const SUBMIT_OPTION_NAMES = new Set([
  "delay",
  "runAt",
  "idempotencyKey",
  "priority",
  "tags",
  "metadata",
  "dependsOn",
  "onParentFailure",
]);
const PARENT_POLICIES = new Set(["fail", "skip", "continue"]);

/** The same parent named twice (a ref and its id, say) counts once: the child waits for it once. */
function uniqueParents(parents: readonly ParentInput[] | undefined): ParentInput[] | undefined {
  if (parents === undefined) return undefined;
  const seen = new Set<string>();
  return parents.filter((parent) => {
    const id = typeof parent === "string" ? parent : parent.id;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

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
    private readonly connection: () => NamespaceClient,
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
    // The schema checks the input here, but the input is stored as given: the worker parses it
    // once more (a deploy may have changed the schema), and a transform must not apply twice.
    if (definition.input) {
      try {
        definition.input.parse(input);
      } catch (error) {
        throw new InvalidInputError(definition.name, issuesOf(error), { cause: error });
      }
    }
    const encoded = encodePayload(
      input,
      `The input of task '${definition.name}'`,
      "input",
      definition.payloadLimit,
    );
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
    encodePayload(
      metadata,
      `The metadata of a job of task '${definition.name}'`,
      "metadata",
      definition.payloadLimit,
    );
    const priority =
      options.priority === undefined ? definition.priority : checkPriority("priority", options.priority);
    if (options.onParentFailure !== undefined && !PARENT_POLICIES.has(options.onParentFailure)) {
      throw new InvalidOptionError(
        "onParentFailure",
        options.onParentFailure,
        'use "fail", "skip" or "continue"',
      );
    }
    const dependsOn = options.dependsOn;
    // Checked at run time: the option often comes from plain JavaScript.
    const parentsGiven: unknown = dependsOn;
    if (parentsGiven !== undefined && (!Array.isArray(parentsGiven) || parentsGiven.length === 0)) {
      throw new InvalidOptionError("dependsOn", parentsGiven, "give a non-empty array of JobRefs or job ids");
    }
    return {
      id,
      function: definition.name,
      input: encoded,
      maxAttempts: definition.maxAttempts,
      maxDeliveries: definition.maxDeliveries,
      priority,
      // Ordered as if submitted priority × step earlier: see UPNEXT_PRIORITY_STEP.
      prioScore: priority === 0 ? null : now - priority * definition.priorityStepMs,
      rateKey: rateKeyOf(definition.flow, input),
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
      // Resolved to functions (and checked to exist) in submitJobs, which may touch Redis.
      dependsOn: uniqueParents(dependsOn)?.map((parent) =>
        typeof parent === "string"
          ? { id: parent, function: "" }
          : { id: parent.id, function: parent.functionName },
      ),
      onParentFailure: options.onParentFailure,
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

  /**
   * Runs one attempt of this task here and now, without a queue or Redis: the input is
   * validated and JSON round-tripped as a submit would, the hooks run, the timeout and
   * `options.signal` abort `ctx.signal`, and what the job reported (progress, logs, checkpoints,
   * metrics, artifacts) comes back with the outcome. Throws InvalidInputError (nothing runs) for
   * input the schema rejects. See docs/testing.md.
   */
  execute(input: I, options: ExecuteOptions = {}): Promise<InlineRun<O>> {
    try {
      if (typeof options !== "object")
        throw new InvalidOptionError("execute options", options, "give an options object");
      rejectUnknown("execute options", options, EXECUTE_OPTION_NAMES);
      const prepared = this.prepare(input, {
        ...(options.tags !== undefined ? { tags: options.tags } : {}),
        ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
      });
      return executeInline<O>(this.definition, prepared, options);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** A reference to an existing job of this task. */
  ref(jobId: string): JobRef<O> {
    return new JobRef<O>(jobId, this.definition.name, this.connection);
  }

  /** Enqueues prepared jobs and publishes their creation events. */
  async submitJobs(prepared: readonly NewJob[]): Promise<JobRef<O>[]> {
    const connection = this.connection();
    const jobs = await Promise.all(
      prepared.map(async (job) => {
        const unresolved = job.dependsOn?.filter((parent) => parent.function === "") ?? [];
        if (unresolved.length === 0) return job;
        const resolved = await resolveParents(
          connection,
          unresolved.map((parent) => parent.id),
        );
        const byId = new Map(resolved.map((parent) => [parent.id, parent]));
        return { ...job, dependsOn: job.dependsOn?.map((parent) => byId.get(parent.id) ?? parent) };
      }),
    );
    const results = await submitPrepared(connection, this.definition, jobs);
    return results.map((result) => this.ref(result.id));
  }
}
