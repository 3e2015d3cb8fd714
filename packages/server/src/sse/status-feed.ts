/**
 * The status stream, read once per process and fanned out: job events to the job streams
 * (filtered by function, job or tree), worker events to the workers stream. Keeps the ring that
 * resumes reconnecting clients.
 */
import type { Redis } from "ioredis";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { EventRing } from "./event-ring.js";
import type { HubLogger } from "./hub-logger.js";
import { type JobEventFilter, JobEventFanout, JobSubscriber } from "./job-event-fanout.js";
import { messageFrame } from "./sse-frame.js";
import type { StatusEntry } from "./status-entries.js";
import { applyReplay, planResume } from "./status-resume.js";
import { StatusStreamReader } from "./status-stream-reader.js";
import type { LiveSubscription, StreamSource } from "./stream-source.js";
import { maxStreamId } from "./stream-ids.js";

export interface StatusFeedOptions {
  readonly deps: ServerDependencies;
  /** The reader's own blocking connection (statusReaderConnectionOptions). */
  readonly connection: Redis;
  readonly ringMaxEntries: number;
  readonly ringMaxBytes: number;
  readonly readBlockMs: number;
  readonly readCount: number;
  readonly resumeMaxEntries: number;
  readonly logger: HubLogger;
  readonly onAvailability: (up: boolean) => void;
}

type WorkerListener = (entry: Extract<StatusEntry, { kind: "worker" }>) => void;
type RequestListener = (entry: Extract<StatusEntry, { kind: "request" }>) => void;

export class StatusFeed {
  readonly ring: EventRing<StatusEntry>;
  readonly reader: StatusStreamReader;
  private readonly jobs = new JobEventFanout();
  private readonly workerListeners = new Set<WorkerListener>();
  private readonly requestListeners = new Set<RequestListener>();

  constructor(private readonly options: StatusFeedOptions) {
    this.ring = new EventRing(options.ringMaxEntries, options.ringMaxBytes);
    this.reader = new StatusStreamReader({
      redis: options.connection,
      key: options.deps.keys.events,
      ring: this.ring,
      blockMs: options.readBlockMs,
      count: options.readCount,
      logger: options.logger,
      onAvailability: options.onAvailability,
      onEntries: (entries) => {
        for (const entry of entries) {
          if (entry.kind === "job") this.jobs.deliver(entry);
          else if (entry.kind === "worker") for (const listener of this.workerListeners) listener(entry);
          else for (const listener of this.requestListeners) listener(entry);
        }
      },
    });
  }

  /** The last entry read (every subscriber has been offered everything up to it). */
  get position(): string {
    return this.reader.position ?? "0-0";
  }

  get jobSubscribers(): number {
    return this.jobs.size;
  }

  start(): void {
    this.reader.start();
  }

  stop(): Promise<void> {
    return this.reader.stop();
  }

  onWorkerEvent(listener: WorkerListener): () => void {
    this.workerListeners.add(listener);
    return () => {
      this.workerListeners.delete(listener);
    };
  }

  /** Sampled HTTP requests (`api.request` events) as they are read; returns the unsubscribe. */
  onRequestEvent(listener: RequestListener): () => void {
    this.requestListeners.add(listener);
    return () => {
      this.requestListeners.delete(listener);
    };
  }

  /** A job-event stream: every job event matching `filter`, resumable by status-stream id. */
  jobEvents(filter: JobEventFilter): StreamSource {
    const { deps, resumeMaxEntries } = this.options;
    return {
      name: "jobs",
      needsRedis: true,
      open: async (lastEventId) => {
        const plan = await planResume(
          lastEventId,
          this.ring,
          (start, count) =>
            deps.withRedis((redis) => redis.xrange(deps.keys.events, start, "+", "COUNT", count)),
          resumeMaxEntries,
        );
        let subscriber: JobSubscriber | undefined;
        const subscription: LiveSubscription = {
          positionInHeartbeat: true,
          position: () => maxStreamId(subscriber?.position ?? this.position, this.position),
          start: (connection) => {
            const live = new JobSubscriber(filter, connection, lastEventId ?? this.position);
            subscriber = live;
            let reset = plan.kind === "reset" ? plan.reason : undefined;
            if (plan.kind === "replay") {
              const caughtUp = applyReplay(plan, this.ring, (entry) => {
                live.offer(entry);
              });
              if (caughtUp === undefined)
                reset = "Too many events arrived while the resume was read; refetch.";
              else live.position = maxStreamId(live.position, caughtUp);
            }
            if (reset !== undefined || plan.kind === "live") live.position = this.position;
            if (reset !== undefined)
              connection.write(messageFrame("reset", live.position, { reason: reset }));
            this.jobs.add(live);
          },
          stop: () => {
            if (subscriber !== undefined) this.jobs.remove(subscriber);
            subscriber = undefined;
          },
        };
        return subscription;
      },
    };
  }
}
