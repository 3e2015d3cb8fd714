/**
 * What every `ctx` knows of its job: identity, lineage, metadata, the abort signal, and the
 * identity its status events carry. A queued job's JobContext and an inline run's InlineContext
 * both extend it, so the two cannot drift apart on what a handler reads.
 */
import type { JobOrigin } from "@upnext/core";
import type { ClaimedJob } from "../../backend/queue-backend.js";
import type { JobIdentity } from "../status/job-events.js";

export abstract class ClaimedJobView {
  readonly tags: Record<string, string>;

  protected constructor(
    protected readonly job: ClaimedJob,
    protected readonly signalSource: () => AbortSignal,
  ) {
    this.tags = { ...job.tags };
  }

  get signal(): AbortSignal {
    return this.signalSource();
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
}
