/**
 * Moves DAG children on when their parents end: each resolution is one atomic script on the
 * child; a child that fails or is skipped because of its parent is itself a parent that ended,
 * so its own children are resolved next (breadth first). A periodic reconciler catches children
 * whose resolution was lost (the process that finished the parent died before resolving).
 */
import { isTerminal } from "@upnext/core";
import type { DependentRef, ParentOutcome, QueueBackend } from "../../backend/queue-backend.js";
import { jobEvent } from "../status/job-events.js";
import type { Logger } from "../observability/logger.js";
import type { StatusPublisher } from "../status/status-publisher.js";

/** A child must have waited this long before the reconciler looks at it. */
const RECONCILE_AFTER_MS = 10_000;
const RECONCILE_BATCH = 100;

export class DependencyResolver {
  /** Resolutions that failed (left waiting for the reconciler): `redisErrors.dag_resolve`. */
  failures = 0;

  constructor(
    private readonly backend: QueueBackend,
    private readonly publisher: StatusPublisher,
    private readonly workerId: string | null,
    private readonly logger: Logger,
  ) {}

  async resolve(dependents: readonly DependentRef[]): Promise<void> {
    const queue = [...dependents];
    while (queue.length > 0) {
      const next = queue.shift();
      if (!next) break;
      try {
        queue.push(...(await this.resolveOne(next)));
      } catch (error) {
        // Left waiting: the reconciler retries it.
        this.failures++;
        this.logger.warn(
          { jobId: next.id, parentId: next.parentId, err: String(error) },
          "resolving a DAG child failed",
        );
      }
    }
  }

  private async resolveOne(dependent: DependentRef): Promise<DependentRef[]> {
    const result = await this.backend.resolveDependent(
      dependent,
      dependent.parentId,
      dependent.parentOutcome,
    );
    const identity = {
      jobId: dependent.id,
      function: dependent.function,
      attempt: result.attempt,
      parentId: result.parentId,
      rootId: result.rootId ?? dependent.id,
    };
    switch (result.outcome) {
      case "queued":
        await this.publish(jobEvent("queued", identity, this.workerId, { from: "dependencies" }));
        break;
      case "scheduled": {
        const job = await this.backend.getJob(dependent.id, dependent.function);
        await this.publish(
          jobEvent("scheduled", identity, this.workerId, { runAt: job?.scheduledAt ?? Date.now() }),
        );
        break;
      }
      case "failed":
        await this.publish(
          jobEvent("failed", identity, this.workerId, {
            reason: "dependency_failed",
            error: {
              name: "DependencyFailedError",
              message: `Parent job ${dependent.parentId} ended ${dependent.parentOutcome}.`,
              code: "dependency_failed",
            },
          }),
        );
        break;
      case "cancelled":
        await this.publish(
          jobEvent("cancelled", identity, this.workerId, {
            previous: "waiting",
            reason: `skipped: parent ${dependent.parentId} ended ${dependent.parentOutcome}`,
          }),
        );
        break;
      case "pending":
      case "ignored":
        break;
    }
    return result.dependents;
  }

  private async publish(event: Parameters<StatusPublisher["publish"]>[0]): Promise<void> {
    const pending = this.publisher.publish(event);
    if (pending) await pending;
  }

  /** Re-checks the parents of children of `fn` that have waited a while; returns how many moved on. */
  async reconcile(fn: string, now: number = Date.now()): Promise<number> {
    const waiting = await this.backend.waitingJobs(fn, now - RECONCILE_AFTER_MS, RECONCILE_BATCH);
    const dependents: DependentRef[] = [];
    for (const job of waiting) {
      for (const parent of job.parents) {
        if (job.recorded.includes(parent.id)) continue;
        const snapshot = await this.backend.getJob(parent.id, parent.function);
        let outcome: ParentOutcome | undefined;
        if (!snapshot) outcome = "missing";
        else if (isTerminal(snapshot.status)) outcome = snapshot.status as ParentOutcome;
        if (outcome)
          dependents.push({ function: fn, id: job.id, parentId: parent.id, parentOutcome: outcome });
      }
    }
    await this.resolve(dependents);
    return dependents.length;
  }
}
