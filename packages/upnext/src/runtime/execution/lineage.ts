/**
 * The job currently running in this async context, so a job submitted from inside a handler
 * records its parent and root automatically.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface Lineage {
  readonly jobId: string;
  readonly rootId: string;
}

export const currentJob = new AsyncLocalStorage<Lineage>();

/** Lineage for a job about to be submitted: the running job is its parent. */
export function lineageFor(jobId: string): { parentId: string | null; rootId: string } {
  const parent = currentJob.getStore();
  return parent ? { parentId: parent.jobId, rootId: parent.rootId } : { parentId: null, rootId: jobId };
}
