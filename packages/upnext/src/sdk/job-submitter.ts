/**
 * The asynchronous half of a submit, after validation: enqueue-time rate limiting, resolving DAG
 * parents, the enqueue itself, registering children on their parents, and the creation events.
 */
import { InvalidOptionError, RateLimitedError } from "@upnext/core";
import type { EnqueueResult, NewJob, ParentRef } from "../backend/queue-backend.js";
import type { NamespaceClient } from "../runtime/namespace-client.js";
import { creationEvent } from "../runtime/status/job-events.js";
import type { TaskDefinition } from "../runtime/execution/task-definition.js";
import { currentRequestTrace } from "../runtime/observability/request-trace.js";
import { SubmitSpans } from "../runtime/observability/tracing.js";

/** A parent given to `dependsOn`: a JobRef (anything with `id` and `functionName`) or a job id. */
export type ParentInput = string | { readonly id: string; readonly functionName: string };

export async function resolveParents(
  connection: NamespaceClient,
  parents: readonly ParentInput[],
): Promise<ParentRef[]> {
  const out: ParentRef[] = [];
  for (const parent of parents) {
    if (typeof parent === "string") {
      const fn = await connection.backend.functionOf(parent);
      if (fn === undefined) {
        throw new InvalidOptionError(
          "dependsOn",
          parent,
          "no job with this id exists (parents must be submitted first)",
        );
      }
      out.push({ id: parent, function: fn });
    } else {
      out.push({ id: parent.id, function: parent.functionName });
    }
  }
  return out;
}

/** Applies an enqueue-time rate limit: rejects, or moves each job to its reserved slot. */
async function applyEnqueueRateLimit(
  connection: NamespaceClient,
  definition: TaskDefinition,
  jobs: NewJob[],
): Promise<NewJob[]> {
  const rate = definition.flow.rate;
  if (!rate?.onEnqueue) return jobs;
  const byKey = new Map<string | null, number[]>();
  jobs.forEach((job, index) => {
    const key = job.rateKey ?? null;
    byKey.set(key, [...(byKey.get(key) ?? []), index]);
  });
  const out = [...jobs];
  for (const [key, indexes] of byKey) {
    const reservation = await connection.backend.reserveRate(
      definition.name,
      key,
      indexes.length,
      rate,
      rate.onEnqueue,
    );
    if (!reservation.ok) {
      throw new RateLimitedError(
        definition.name,
        new Date(reservation.retryAt),
        key === null ? rate.text : `${rate.text} for key '${key}'`,
      );
    }
    indexes.forEach((index, position) => {
      const job = out[index];
      const slot = reservation.runAt[position] ?? 0;
      if (job && slot > Date.now() && slot > (job.runAt ?? 0)) out[index] = { ...job, runAt: slot };
    });
  }
  return out;
}

/**
 * The backend's enqueue, inside one `submit <task>` span per job when an OpenTelemetry SDK is
 * registered: each job then carries its span's context, so its runs continue the trace that was
 * active here (a parent job's run, an HTTP request, ...). Every enqueue of new jobs goes through this.
 */
export async function enqueueJobs(
  connection: NamespaceClient,
  jobs: readonly NewJob[],
): Promise<EnqueueResult[]> {
  const request = connection.tracing ? currentRequestTrace() : undefined;
  const spans = connection.tracing ? SubmitSpans.start(jobs, request?.traceparent) : undefined;
  if (!spans) {
    // No SDK here: the job carries the HTTP request's trace context as it is (observability/request-trace.ts).
    const trace = request?.ensure();
    return connection.backend.enqueue(trace === undefined ? jobs : jobs.map((job) => ({ ...job, trace })));
  }
  const traced = jobs.map((job, index) => ({ ...job, trace: spans.fields[index] ?? null }));
  let results: EnqueueResult[];
  try {
    results = await connection.backend.enqueue(traced);
  } catch (error) {
    spans.fail(error);
    throw error;
  }
  spans.end(results);
  return results;
}

/** Enqueues prepared jobs of one task; returns the enqueue results in order. */
export async function submitPrepared(
  connection: NamespaceClient,
  definition: TaskDefinition,
  prepared: readonly NewJob[],
): Promise<EnqueueResult[]> {
  const jobs = await applyEnqueueRateLimit(connection, definition, [...prepared]);
  const results = await enqueueJobs(connection, jobs);
  const pending: Promise<void>[] = [];
  results.forEach((result, index) => {
    const job = jobs[index];
    if (!result.created || !job) return;
    const wait = connection.publisher.publish(creationEvent(job, result.status, null));
    if (wait) pending.push(wait);
  });
  await Promise.all(pending);

  // Children are created before they are registered on their parents, so a parent that ends in
  // between is caught by the "already ended" answer below (or, failing that, the reconciler).
  const resolver = connection.dependencies;
  for (const [index, result] of results.entries()) {
    const job = jobs[index];
    if (!result.created || !job?.dependsOn || job.dependsOn.length === 0) continue;
    const child = { id: job.id, function: job.function };
    for (const parent of job.dependsOn) {
      const registered = await connection.backend.addDependent(parent, child);
      if (registered === "registered") continue;
      const outcome =
        registered === "complete" || registered === "failed" || registered === "cancelled"
          ? registered
          : "missing";
      await resolver.resolve([{ ...child, parentId: parent.id, parentOutcome: outcome }]);
    }
  }
  return results;
}
