/**
 * The hub's one subscription to artifact notifications, relayed to the artifacts stream of each
 * job (`GET /api/v1/jobs/:id/artifacts/stream`).
 *
 * Contract: whoever stores or deletes an artifact (routes/artifact-routes.ts, pending promotion)
 * PUBLISHes on `keys.artifactsChannel` (`<namespace>:artifacts`) one JSON message per change,
 * `artifactEventSchema` of @upnext/core:
 *   { "type": "artifact.created" | "artifact.deleted", "jobId": "<job id>",
 *     "artifact": { "id", "name", "contentType", "size" (bytes), "createdAt" (ISO-8601 UTC) } }
 * after the change is committed. The stream forwards it as the data of `event: artifact`.
 * Messages that do not match are counted and skipped.
 *
 * Pub/sub keeps nothing and has no ids, so the feed numbers messages itself
 * (`<hub start ms>-<sequence>`) and keeps the last ones in a ring for resume. A resume it cannot
 * serve from the ring (another process's id, too old, or across a gap in the subscription) is
 * answered with `event: reset`: refetch the list over REST, which stays the source of truth.
 *
 * Its connection is a duplicate with `autoResubscribe: false`: the feed subscribes itself on each
 * 'ready', so it knows when the subscription is live again and where the gap was.
 */
import { artifactEventSchema } from "@upnext/core";
import type { Redis } from "ioredis";
import { EventRing } from "./event-ring.js";
import type { HubLogger } from "./hub-logger.js";
import { messageFrame, type SseFrame } from "./sse-frame.js";
import type { SseConnection } from "./sse-connection.js";
import type { LiveSubscription, StreamSource } from "./stream-source.js";
import { parseStreamId } from "./stream-ids.js";

interface ArtifactEntry {
  readonly id: string;
  readonly jobId: string;
  readonly frame: SseFrame;
  readonly bytes: number;
}

export interface ArtifactFeedOptions {
  readonly connection: Redis;
  readonly channel: string;
  readonly ringMaxEntries: number;
  readonly logger: HubLogger;
  readonly onAvailability: (up: boolean) => void;
}

/** Options for the feed's own connection (see the file comment). */
export function artifactFeedConnectionOptions(connectionName: string) {
  return {
    commandTimeout: undefined,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    autoResubscribe: false,
    connectionName,
  };
}

export class ArtifactFeed {
  private readonly epoch = Date.now();
  private sequence = 0;
  /** Messages up to this sequence may have been missed (a gap in the subscription). */
  private gapAt = 0;
  private subscribed = false;
  private everSubscribed = false;
  private stopped = false;
  private readonly ring: EventRing<ArtifactEntry>;
  private readonly byJob = new Map<string, Set<SseConnection>>();
  private readonly resetListeners = new Set<() => void>();
  /** Messages that did not match the contract (skipped). */
  invalid = 0;

  constructor(private readonly options: ArtifactFeedOptions) {
    this.ring = new EventRing(options.ringMaxEntries, Number.POSITIVE_INFINITY);
    this.ring.reset(this.position);
    const { connection } = options;
    connection.on("error", () => undefined);
    connection.on("message", (channel: string, message: string) => {
      if (channel === options.channel) this.receive(message);
    });
    connection.on("close", () => {
      if (!this.subscribed) return;
      this.subscribed = false;
      this.gapAt = this.sequence;
      if (!this.stopped) options.onAvailability(false);
    });
    connection.on("ready", () => void this.subscribe());
    if (connection.status === "ready") void this.subscribe();
  }

  get isUp(): boolean {
    return this.subscribed;
  }

  get position(): string {
    return `${this.epoch}-${this.sequence}`;
  }

  stop(): void {
    this.stopped = true;
    this.options.connection.disconnect();
  }

  private async subscribe(): Promise<void> {
    try {
      await this.options.connection.subscribe(this.options.channel);
    } catch (error) {
      // The next 'ready' (after the reconnect this error causes) tries again.
      this.options.logger.warn({ err: error }, "artifact notifications: subscribe failed");
      return;
    }
    if (this.stopped) return;
    const recovered = this.everSubscribed;
    this.subscribed = true;
    this.everSubscribed = true;
    this.options.onAvailability(true);
    // Anything published while unsubscribed is gone: every artifacts stream refetches.
    if (recovered) for (const listener of this.resetListeners) listener();
  }

  private receive(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      parsed = undefined;
    }
    const result = artifactEventSchema.safeParse(parsed);
    if (!result.success) {
      this.invalid += 1;
      this.options.logger.debug({ message: message.slice(0, 200) }, "invalid artifact notification skipped");
      return;
    }
    this.sequence += 1;
    const id = this.position;
    const frame = messageFrame("artifact", id, result.data);
    this.ring.push({ id, jobId: result.data.jobId, frame, bytes: frame.bytes });
    for (const connection of this.byJob.get(result.data.jobId) ?? []) connection.write(frame);
  }

  private resumeFrom(lastEventId: string | undefined): { replay: boolean; reason?: string } {
    if (lastEventId === undefined) return { replay: false };
    const { ms, seq } = parseStreamId(lastEventId);
    if (ms !== this.epoch || seq > this.sequence) {
      return { replay: false, reason: "The id is not from this server process; refetch the artifact list." };
    }
    if (seq < this.gapAt || !this.ring.covers(lastEventId)) {
      return { replay: false, reason: "Notifications after this id may have been missed; refetch the list." };
    }
    return { replay: true };
  }

  /** The artifacts of one job as they are created and deleted. */
  artifacts(jobId: string): StreamSource {
    return {
      name: "artifacts",
      needsRedis: true,
      open: (lastEventId) => {
        const plan = this.resumeFrom(lastEventId);
        let connection: SseConnection | undefined;
        const onReset = (): void => {
          connection?.write(
            messageFrame("reset", this.position, {
              reason:
                "The notification feed reconnected: notifications may have been missed; refetch the list.",
            }),
          );
        };
        const subscription: LiveSubscription = {
          positionInHeartbeat: false,
          // Every message up to the feed's position has been offered to this subscriber.
          position: () => this.position,
          start: (live) => {
            connection = live;
            if (plan.replay && lastEventId !== undefined) {
              for (const entry of this.ring.after(lastEventId))
                if (entry.jobId === jobId) live.write(entry.frame);
            } else if (plan.reason !== undefined) {
              live.write(messageFrame("reset", this.position, { reason: plan.reason }));
            }
            this.resetListeners.add(onReset);
            let set = this.byJob.get(jobId);
            if (set === undefined) {
              set = new Set();
              this.byJob.set(jobId, set);
            }
            set.add(live);
          },
          stop: () => {
            this.resetListeners.delete(onReset);
            const set = this.byJob.get(jobId);
            if (set !== undefined && connection !== undefined) {
              set.delete(connection);
              if (set.size === 0) this.byJob.delete(jobId);
            }
            connection = undefined;
          },
        };
        return Promise.resolve(subscription);
      },
    };
  }
}
