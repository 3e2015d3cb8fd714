/**
 * Who gets which job event. Subscribers are indexed by their most selective filter (job, then
 * tree, then function), so an event is offered only to the subscribers that can want it instead
 * of to every open connection.
 */
import type { JobEvent, JobEventType } from "@upnext/core";
import type { SseConnection } from "./sse-connection.js";
import type { StatusEntry } from "./status-entries.js";
import { compareStreamIds } from "./stream-ids.js";

type JobEntry = Extract<StatusEntry, { kind: "job" }>;

/** Filters combine with AND; the values of one filter with OR. */
export interface JobEventFilter {
  readonly functions?: ReadonlySet<string>;
  readonly jobId?: string;
  readonly rootId?: string;
  readonly types?: ReadonlySet<JobEventType>;
}

export function matchesJobFilter(filter: JobEventFilter, event: JobEvent): boolean {
  return (
    (filter.jobId === undefined || event.jobId === filter.jobId) &&
    (filter.rootId === undefined || event.rootId === filter.rootId) &&
    (filter.functions === undefined || filter.functions.has(event.function)) &&
    (filter.types === undefined || filter.types.has(event.type))
  );
}

export class JobSubscriber {
  constructor(
    readonly filter: JobEventFilter,
    private readonly connection: SseConnection,
    /** Every entry up to here was offered already (replayed, or skipped by the filter). */
    public position: string,
  ) {}

  offer(entry: StatusEntry): void {
    // A resume that read the stream itself can be ahead of the hub's reader: no entry twice.
    if (compareStreamIds(entry.id, this.position) <= 0) return;
    this.position = entry.id;
    if (entry.kind === "job" && matchesJobFilter(this.filter, entry.event))
      this.connection.write(entry.frame);
  }
}

function addTo(index: Map<string, Set<JobSubscriber>>, key: string, subscriber: JobSubscriber): void {
  let set = index.get(key);
  if (set === undefined) {
    set = new Set();
    index.set(key, set);
  }
  set.add(subscriber);
}

function removeFrom(index: Map<string, Set<JobSubscriber>>, key: string, subscriber: JobSubscriber): void {
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(subscriber);
  if (set.size === 0) index.delete(key);
}

export class JobEventFanout {
  private readonly unfiltered = new Set<JobSubscriber>();
  private readonly byJob = new Map<string, Set<JobSubscriber>>();
  private readonly byRoot = new Map<string, Set<JobSubscriber>>();
  private readonly byFunction = new Map<string, Set<JobSubscriber>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(subscriber: JobSubscriber): void {
    this.count += 1;
    const { jobId, rootId, functions } = subscriber.filter;
    if (jobId !== undefined) addTo(this.byJob, jobId, subscriber);
    else if (rootId !== undefined) addTo(this.byRoot, rootId, subscriber);
    else if (functions !== undefined) for (const fn of functions) addTo(this.byFunction, fn, subscriber);
    else this.unfiltered.add(subscriber);
  }

  remove(subscriber: JobSubscriber): void {
    this.count -= 1;
    const { jobId, rootId, functions } = subscriber.filter;
    if (jobId !== undefined) removeFrom(this.byJob, jobId, subscriber);
    else if (rootId !== undefined) removeFrom(this.byRoot, rootId, subscriber);
    else if (functions !== undefined) for (const fn of functions) removeFrom(this.byFunction, fn, subscriber);
    else this.unfiltered.delete(subscriber);
  }

  deliver(entry: JobEntry): void {
    const { event } = entry;
    for (const subscriber of this.unfiltered) subscriber.offer(entry);
    for (const index of [
      this.byJob.get(event.jobId),
      this.byRoot.get(event.rootId),
      this.byFunction.get(event.function),
    ]) {
      if (index !== undefined) for (const subscriber of index) subscriber.offer(entry);
    }
  }
}
