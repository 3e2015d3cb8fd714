import {
  loadConfig,
  statusEventSchema,
  STATUS_EVENT_FIELD,
  TaskFailedError,
  type Config,
  type StatusEvent,
} from "@upnext/core";
import type { Redis } from "ioredis";
import { expect } from "vitest";
import { Worker, type JobRef, type ResultOptions, type WorkerOptions } from "../../src/index.js";
import { REDIS_URL } from "./redis.js";

/** Configuration for tests: the environment's, with faster timers, and overrides. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig(
    {
      UPNEXT_REDIS_URL: REDIS_URL,
      UPNEXT_LOG_LEVEL: process.env.UPNEXT_LOG_LEVEL ?? "silent",
      UPNEXT_PROMOTE_INTERVAL: "50ms",
      UPNEXT_HEARTBEAT_INTERVAL: "1s",
      ...overrides,
    },
    () => undefined,
  );
}

/** A worker for tests: own namespace, no signal handling, quiet, fast timers. */
export function testWorker(
  namespace: string,
  options: WorkerOptions = {},
  config: Config = testConfig(),
): Worker {
  return new Worker({ name: "test", namespace, handleSignals: false, config, ...options });
}

/** Every event of the namespace's status stream, parsed (invalid entries fail the test). */
export async function readEvents(redis: Redis, namespace: string): Promise<StatusEvent[]> {
  const entries = await redis.xrange(`${namespace}:events`, "-", "+");
  return entries.map(([, fields]) => {
    const index = fields.indexOf(STATUS_EVENT_FIELD);
    return statusEventSchema.parse(JSON.parse(fields[index + 1] ?? "null"));
  });
}

export async function jobEvents(redis: Redis, namespace: string, jobId: string): Promise<StatusEvent[]> {
  return (await readEvents(redis, namespace)).filter((event) => "jobId" in event && event.jobId === jobId);
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Waits for every job to fail for good (so it is dead-lettered); returns their ids. */
export async function failAll(refs: readonly JobRef[], options: ResultOptions = {}): Promise<string[]> {
  const outcomes = await Promise.allSettled(refs.map((ref) => ref.result(options)));
  for (const outcome of outcomes) {
    expect(outcome.status, "a job meant to fail completed").toBe("rejected");
    if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(TaskFailedError);
  }
  return refs.map((ref) => ref.id);
}
