/**
 * One live stream over fetch (not EventSource: it cannot send the bearer header). It sends
 * Last-Event-ID when it reconnects so the server resumes where the stream left off, reconnects
 * with exponential backoff and jitter after any failure, treats a stream that went silent past
 * the idle timeout (the server sends a heartbeat every 15 s) as dead, and closes while the tab
 * is hidden, reopening (and resuming) when it is shown again.
 */
import { ApiRequestError, errorFromResponse } from "../api/api-error.js";
import { type VisibilitySource, documentVisibility } from "./page-visibility.js";
import { type BackoffOptions, DEFAULT_BACKOFF, reconnectDelayMs } from "./reconnect-backoff.js";
import { type SseMessage, SseParser } from "./sse-parser.js";

export type StreamState = "idle" | "connecting" | "open" | "reconnecting" | "paused" | "closed";

/** Three missed server heartbeats (15 s each): the connection is dead even if TCP has not said so. */
export const STREAM_IDLE_TIMEOUT_MS = 45_000;

/**
 * A connection must stay up this long before its failure count resets, so a server that accepts
 * and drops at once is still met with a growing delay.
 */
export const STABLE_CONNECTION_MS = 5_000;

export interface SseConnectionOptions {
  readonly url: () => string;
  readonly headers?: () => Record<string, string>;
  readonly onMessage: (message: SseMessage) => void;
  readonly onStateChange?: (state: StreamState) => void;
  /** Each time the stream opens; `reconnected` is false only the first time. */
  readonly onOpen?: (info: { reconnected: boolean; resumedFrom: string | undefined }) => void;
  /** An attempt failed (HTTP error or network); a reconnect is scheduled after it. */
  readonly onFailure?: (error: Error) => void;
  readonly fetch?: typeof fetch;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  readonly visibility?: VisibilitySource;
  readonly idleTimeoutMs?: number;
  readonly lastEventId?: string;
}

export class SseConnection {
  private state: StreamState = "idle";
  private controller: AbortController | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private stableTimer: ReturnType<typeof setTimeout> | undefined;
  private unsubscribeVisibility: (() => void) | undefined;
  private failures = 0;
  private opens = 0;
  private serverRetryMs: number | undefined;
  private lastEventId: string;
  private readonly visibility: VisibilitySource;

  constructor(private readonly options: SseConnectionOptions) {
    this.lastEventId = options.lastEventId ?? "";
    this.visibility = options.visibility ?? documentVisibility;
  }

  get currentState(): StreamState {
    return this.state;
  }

  get currentLastEventId(): string | undefined {
    return this.lastEventId === "" ? undefined : this.lastEventId;
  }

  start(): void {
    if (this.state !== "idle" && this.state !== "closed") return;
    this.unsubscribeVisibility = this.visibility.subscribe(() => {
      this.onVisibilityChange();
    });
    if (this.visibility.isHidden()) this.setState("paused");
    else void this.connect();
  }

  stop(): void {
    this.unsubscribeVisibility?.();
    this.unsubscribeVisibility = undefined;
    this.teardown();
    this.setState("closed");
  }

  /** Drops the current connection and opens a new one now (e.g. after the token changed). */
  restart(): void {
    if (this.state === "closed" || this.state === "idle" || this.state === "paused") return;
    this.teardown();
    this.failures = 0;
    void this.connect();
  }

  private onVisibilityChange(): void {
    if (this.state === "closed" || this.state === "idle") return;
    if (this.visibility.isHidden()) {
      this.teardown();
      this.setState("paused");
    } else if (this.state === "paused") {
      this.failures = 0;
      void this.connect();
    }
  }

  private setState(state: StreamState): void {
    if (this.state === state) return;
    this.state = state;
    this.options.onStateChange?.(state);
  }

  private teardown(): void {
    this.controller?.abort();
    this.controller = undefined;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.stableTimer);
    this.reconnectTimer = undefined;
  }

  private armIdleTimer(controller: AbortController): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.controller === controller) controller.abort(new Error("The stream went silent."));
    }, this.options.idleTimeoutMs ?? STREAM_IDLE_TIMEOUT_MS);
  }

  private scheduleReconnect(error: Error): void {
    if (this.state === "closed" || this.state === "paused") return;
    this.options.onFailure?.(error);
    const delay = reconnectDelayMs(
      this.failures,
      (this.options.random ?? Math.random)(),
      this.options.backoff ?? DEFAULT_BACKOFF,
      this.serverRetryMs,
    );
    this.failures += 1;
    this.setState("reconnecting");
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  private async connect(): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    this.setState(this.opens === 0 ? "connecting" : "reconnecting");
    const resumeFrom = this.currentLastEventId;
    const headers: Record<string, string> = {
      accept: "text/event-stream",
      "cache-control": "no-cache",
      ...this.options.headers?.(),
    };
    if (resumeFrom !== undefined) headers["last-event-id"] = resumeFrom;
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(this.options.url(), { headers, signal: controller.signal });
    } catch (error) {
      if (this.controller !== controller) return;
      this.scheduleReconnect(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (this.controller !== controller) {
      controller.abort();
      return;
    }
    if (!response.ok || response.body === null) {
      const text = await response.text().catch(() => "");
      if (this.controller !== controller) return;
      this.scheduleReconnect(
        errorFromResponse(response.status, response.statusText, text, response.headers.get("x-request-id")),
      );
      return;
    }
    const contentType = response.headers.get("content-type") ?? "";
    if (!contentType.includes("text/event-stream")) {
      void response.body.cancel();
      this.scheduleReconnect(
        new ApiRequestError(
          response.status,
          "not_an_event_stream",
          `Expected an event stream, got ${contentType}.`,
        ),
      );
      return;
    }
    await this.read(response.body, controller, resumeFrom);
  }

  private async read(
    body: ReadableStream<Uint8Array>,
    controller: AbortController,
    resumeFrom: string | undefined,
  ): Promise<void> {
    const parser = new SseParser(
      {
        onMessage: (message) => {
          this.options.onMessage(message);
        },
        onRetry: (ms) => {
          this.serverRetryMs = ms;
        },
        onLastEventId: (id) => {
          this.lastEventId = id;
        },
      },
      this.lastEventId,
    );
    const reader = body.getReader();
    const decoder = new TextDecoder();
    this.opens += 1;
    this.setState("open");
    this.options.onOpen?.({ reconnected: this.opens > 1, resumedFrom: resumeFrom });
    this.armIdleTimer(controller);
    this.stableTimer = setTimeout(() => {
      this.failures = 0;
    }, STABLE_CONNECTION_MS);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (this.controller !== controller) return;
        this.armIdleTimer(controller);
        parser.push(decoder.decode(value, { stream: true }));
      }
    } catch (error) {
      if (this.controller !== controller) return;
      clearTimeout(this.stableTimer);
      this.scheduleReconnect(error instanceof Error ? error : new Error(String(error)));
      return;
    } finally {
      reader.releaseLock();
    }
    if (this.controller !== controller) return;
    clearTimeout(this.stableTimer);
    this.scheduleReconnect(new Error("The server ended the stream."));
  }
}
