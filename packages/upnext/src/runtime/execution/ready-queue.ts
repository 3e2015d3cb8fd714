/**
 * Prefetched jobs waiting for a free slot. Jobs with a positive priority go first, highest first
 * (bypassing the turns); the others are served with functions taking turns (round-robin), so one
 * busy function cannot starve the others on this worker; within a function jobs run in claim order.
 */
import type { ClaimedJob } from "../../backend/queue-backend.js";

export class ReadyQueue {
  private readonly queues = new Map<string, ClaimedJob[]>();
  /** Positive-priority jobs, highest priority first, then claim order. */
  private readonly urgent: ClaimedJob[] = [];
  private readonly order: string[] = [];
  private turn = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(job: ClaimedJob): void {
    if (job.priority > 0) {
      let index = this.urgent.length;
      while (index > 0 && (this.urgent[index - 1]?.priority ?? 0) < job.priority) index--;
      this.urgent.splice(index, 0, job);
      this.count++;
      return;
    }
    let queue = this.queues.get(job.function);
    if (!queue) {
      queue = [];
      this.queues.set(job.function, queue);
      this.order.push(job.function);
    }
    queue.push(job);
    this.count++;
  }

  shift(): ClaimedJob | undefined {
    if (this.count === 0) return undefined;
    const urgent = this.urgent.shift();
    if (urgent) {
      this.count--;
      return urgent;
    }
    for (let i = 0; i < this.order.length; i++) {
      const fn = this.order[(this.turn + i) % this.order.length];
      const queue = fn === undefined ? undefined : this.queues.get(fn);
      const job = queue?.shift();
      if (job) {
        this.turn = (this.turn + i + 1) % this.order.length;
        this.count--;
        return job;
      }
    }
    return undefined;
  }

  /** Removes and returns everything (shutdown hands these back). */
  drain(): ClaimedJob[] {
    const all: ClaimedJob[] = this.urgent.splice(0);
    for (const queue of this.queues.values()) all.push(...queue.splice(0));
    this.count = 0;
    return all;
  }

  remove(id: string): boolean {
    for (const queue of [this.urgent, ...this.queues.values()]) {
      const index = queue.findIndex((job) => job.id === id);
      if (index >= 0) {
        queue.splice(index, 1);
        this.count--;
        return true;
      }
    }
    return false;
  }
}
