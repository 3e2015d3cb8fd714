/**
 * Snapshot streams (dashboard summary, trends, workers): a snapshot is computed at most once per
 * interval per key (stream name + parameters) and shared by every subscriber of that key. Results
 * are cached with a TTL, so a client that connects between two ticks gets the cached one; expired
 * entries are swept by time, never flushed all at once for size. Failures are not cached: each
 * subscriber gets `event: error` while the source fails and `event: ready` when it recovers.
 */
import { DependencyUnavailableError } from "../connections/circuit-breaker.js";
import { PeriodicTask } from "../lib/periodic-task.js";
import type { HubLogger } from "./hub-logger.js";
import { messageFrame, type SseFrame } from "./sse-frame.js";
import type { LiveSubscription, StreamSource } from "./stream-source.js";

export type SnapshotParams = Readonly<Record<string, unknown>>;

/**
 * Computes one snapshot: what the matching REST endpoint answers. Reach Redis and the database
 * through deps.withRedis / deps.withDatabase, so an outage arrives as DependencyUnavailableError
 * and subscribers are told which dependency is away.
 */
export type SnapshotSource = (params: SnapshotParams) => Promise<unknown>;

export interface Snapshot {
  readonly id: string;
  readonly sequence: number;
  readonly json: string;
  readonly frame: SseFrame;
}

interface CacheEntry {
  readonly snapshot: Snapshot;
  readonly expiresAt: number;
}

/** What `event: error` carries; the same shape as the error envelope's code and details. */
export function streamErrorData(error: unknown): { code: string; dependency?: string; message: string } {
  if (error instanceof DependencyUnavailableError) {
    return { code: "dependency_unavailable", dependency: error.dependency, message: error.message };
  }
  return { code: "internal_error", message: "The snapshot could not be computed; see the server log." };
}

export class SnapshotCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<Snapshot>>();
  private sequence = 0;
  /** Computations started (for tests and metrics: it must not grow with subscribers). */
  computations = 0;

  get size(): number {
    return this.entries.size;
  }

  /** The cached snapshot while fresh; else one computation shared by every caller meanwhile. */
  get(key: string, ttlMs: number, compute: () => Promise<unknown>): Promise<Snapshot> {
    const cached = this.entries.get(key);
    if (cached !== undefined && cached.expiresAt > Date.now()) return Promise.resolve(cached.snapshot);
    const pending = this.inflight.get(key);
    if (pending !== undefined) return pending;
    const promise = this.compute(key, ttlMs, compute).finally(() => {
      this.inflight.delete(key);
    });
    this.inflight.set(key, promise);
    return promise;
  }

  /** Drops entries whose TTL has passed. */
  sweep(now = Date.now()): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  private async compute(key: string, ttlMs: number, compute: () => Promise<unknown>): Promise<Snapshot> {
    // The TTL runs from the start, so a tick one interval later always finds it expired.
    const startedAt = Date.now();
    this.computations += 1;
    const value = await compute();
    this.sequence += 1;
    const id = `${startedAt}-${this.sequence}`;
    const json = JSON.stringify(value ?? null);
    const snapshot: Snapshot = {
      id,
      sequence: this.sequence,
      json,
      frame: messageFrame(
        "snapshot",
        id,
        `{"at":${JSON.stringify(new Date(startedAt).toISOString())},"snapshot":${json}}`,
      ),
    };
    this.entries.set(key, { snapshot, expiresAt: startedAt + ttlMs });
    return snapshot;
  }
}

/** Gets each frame of the channel; `snapshot` is set for snapshots (not for error/ready). */
type SnapshotListener = (frame: SseFrame, id: string, snapshot?: Snapshot) => void;

/** The subscribers of one key and the timer that refreshes it while there are any. */
class SnapshotChannel {
  private readonly listeners = new Set<SnapshotListener>();
  private readonly refresher: PeriodicTask<void>;
  private failing = false;
  latest: Snapshot | undefined;

  constructor(
    intervalMs: number,
    private readonly refresh: () => Promise<Snapshot>,
    private readonly logger: HubLogger,
    private readonly onEmpty: () => void,
  ) {
    this.refresher = new PeriodicTask({
      run: () => this.tick(),
      intervalMs,
      onError: (error) => {
        this.fail(error);
      },
    });
  }

  subscribe(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    this.refresher.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0) return;
      void this.refresher.stop();
      this.onEmpty();
    };
  }

  stop(): void {
    void this.refresher.stop();
    this.listeners.clear();
  }

  private broadcast(frame: SseFrame, id: string, snapshot?: Snapshot): void {
    for (const listener of this.listeners) listener(frame, id, snapshot);
  }

  private async tick(): Promise<void> {
    const lastId = this.latest?.id ?? "0-0";
    const snapshot = await this.refresh();
    if (this.failing) {
      this.failing = false;
      this.broadcast(messageFrame("ready", lastId, { reason: "recovered" }), lastId);
    } else if (this.latest?.json === snapshot.json) {
      // Unchanged snapshots are not re-sent; heartbeats show the stream is alive.
      return;
    }
    this.latest = snapshot;
    this.broadcast(snapshot.frame, snapshot.id, snapshot);
  }

  /** The first failure of a run of them is logged and sent once; the next success says "recovered". */
  private fail(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    const lastId = this.latest?.id ?? "0-0";
    this.logger.warn({ err: error }, "snapshot computation failed");
    this.broadcast(messageFrame("error", lastId, streamErrorData(error)), lastId);
  }
}

export class SnapshotHub {
  readonly cache = new SnapshotCache();
  private readonly channels = new Map<string, SnapshotChannel>();

  constructor(private readonly logger: HubLogger) {}

  get activeChannels(): number {
    return this.channels.size;
  }

  stop(): void {
    for (const channel of this.channels.values()) channel.stop();
    this.channels.clear();
  }

  /** A snapshot stream: the current snapshot at (re)connect, then each changed one. */
  source(name: string, params: SnapshotParams, compute: SnapshotSource, intervalMs: number): StreamSource {
    const key = `${name}:${JSON.stringify(Object.entries(params).sort(([a], [b]) => a.localeCompare(b)))}`;
    const refresh = (): Promise<Snapshot> => this.cache.get(key, intervalMs, () => compute(params));
    return {
      name,
      needsRedis: false,
      open: async () => {
        const first = await refresh();
        let lastId = first.id;
        let unsubscribe: (() => void) | undefined;
        const subscription: LiveSubscription = {
          positionInHeartbeat: false,
          position: () => lastId,
          start: (connection) => {
            const channel = this.channelFor(key, intervalMs, refresh);
            // A tick may have broadcast a newer snapshot while this one was being opened.
            const latest = channel.latest;
            const initial = latest !== undefined && latest.sequence > first.sequence ? latest : first;
            channel.latest ??= initial;
            connection.write(initial.frame);
            lastId = initial.id;
            let sent = initial.sequence;
            unsubscribe = channel.subscribe((frame, id, snapshot) => {
              // A subscriber that joined with a newer snapshot than the others skips its echo.
              if (snapshot !== undefined) {
                if (snapshot.sequence <= sent) return;
                sent = snapshot.sequence;
              }
              lastId = id;
              connection.write(frame);
            });
          },
          stop: () => {
            unsubscribe?.();
            unsubscribe = undefined;
          },
        };
        return subscription;
      },
    };
  }

  private channelFor(key: string, intervalMs: number, refresh: () => Promise<Snapshot>): SnapshotChannel {
    let channel = this.channels.get(key);
    if (channel === undefined) {
      channel = new SnapshotChannel(intervalMs, refresh, this.logger, () => {
        this.channels.delete(key);
      });
      this.channels.set(key, channel);
    }
    return channel;
  }
}
