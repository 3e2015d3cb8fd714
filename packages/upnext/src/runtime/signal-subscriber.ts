/**
 * One pub/sub connection per process serves every `result()` wait and every cancel signal:
 * no per-job connections or subscriptions. Subscriptions are made lazily and re-made by
 * ioredis after a reconnect; `onReconnect` listeners re-check state a message may have missed.
 */
import { Redis, type RedisOptions } from "ioredis";
import type { NamespaceKeys } from "@upnext/core";
import { closeRedis } from "./deadline.js";
import type { Logger } from "./observability/logger.js";

/** How long a close waits for QUIT to be answered before dropping the connection. */
const CLOSE_TIMEOUT_MS = 1_000;

type DoneListener = (status: string) => void;
type CancelListener = (jobId: string) => void;

export class SignalSubscriber {
  private client: Redis | undefined;
  private subscribed: Promise<void> | undefined;
  private readonly doneListeners = new Map<string, Set<DoneListener>>();
  private readonly cancelListeners = new Set<CancelListener>();
  private readonly reconnectListeners = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly redisOptions: RedisOptions,
    private readonly keys: NamespaceKeys,
    private readonly logger: Logger,
  ) {}

  /** Resolves once the subscription is active, so nothing published afterwards is missed. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("The signal subscriber is closed."));
    this.subscribed ??= this.connect();
    return this.subscribed;
  }

  private async connect(): Promise<void> {
    const client = new Redis(this.url, { ...this.redisOptions, lazyConnect: true });
    this.client = client;
    client.on("message", (channel: string, message: string) => {
      this.dispatch(channel, message);
    });
    client.on("error", (error: Error) => {
      this.logger.warn({ err: error.message }, "signal subscriber connection error");
    });
    let connectedOnce = false;
    client.on("ready", () => {
      if (connectedOnce) {
        for (const listener of this.reconnectListeners) listener();
      }
      connectedOnce = true;
    });
    await client.connect();
    await client.subscribe(this.keys.doneChannel, this.keys.cancelChannel);
  }

  private dispatch(channel: string, message: string): void {
    if (channel === this.keys.doneChannel) {
      const space = message.indexOf(" ");
      const jobId = space < 0 ? message : message.slice(0, space);
      const status = space < 0 ? "" : message.slice(space + 1);
      const listeners = this.doneListeners.get(jobId);
      if (listeners) for (const listener of [...listeners]) listener(status);
    } else if (channel === this.keys.cancelChannel) {
      for (const listener of this.cancelListeners) listener(message);
    }
  }

  onDone(jobId: string, listener: DoneListener): () => void {
    let listeners = this.doneListeners.get(jobId);
    if (!listeners) {
      listeners = new Set();
      this.doneListeners.set(jobId, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.doneListeners.delete(jobId);
    };
  }

  onCancel(listener: CancelListener): () => void {
    this.cancelListeners.add(listener);
    return () => this.cancelListeners.delete(listener);
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  async close(timeoutMs: number = CLOSE_TIMEOUT_MS): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client) await closeRedis(client, timeoutMs);
  }

  /** Drops the connection at once (a stop that ran out of time). */
  abort(): void {
    this.closed = true;
    this.client?.disconnect();
    this.client = undefined;
  }
}
