/**
 * Prints every job's lifecycle from the status stream (`<namespace>:events`), one compact line per
 * event, until the server and dashboard exist. It is an ordinary stream reader: XREAD BLOCK on its
 * own connection, each entry's "e" field parsed with the status-event contract (statusEventSchema);
 * entries that do not match are skipped and counted.
 *
 * To stay readable at a few jobs per second, checkpoint and metric events are counted but not
 * printed, and a job's progress is printed at most once a second (`allEvents` prints everything).
 *
 * Lines are printed in stream order, except within a short window: a producer writes a job's
 * `queued` event after its enqueue returns, so a fast worker's `started` can reach the stream
 * first (likewise a heartbeat before `worker.started`). Creation events are moved ahead of the
 * other events of the same job or worker that arrived in the same window.
 */
import {
  STATUS_EVENT_FIELD,
  namespaceKeys,
  statusEventSchema,
  type StatusEvent,
  type jobOriginSchema,
} from "@upnext/core";
import { Redis } from "ioredis";
import type { z } from "zod";
import {
  blue,
  bold,
  clock,
  complain,
  cyan,
  dim,
  gray,
  green,
  magenta,
  red,
  yellow,
} from "./terminal-style.js";

export interface PrinterOptions {
  readonly redisUrl: string;
  readonly namespace: string;
  /** Print checkpoint and metric events and every progress update too. */
  readonly allEvents?: boolean;
}

export interface PrinterCounts {
  printed: number;
  folded: number;
  invalid: number;
}

type JobOrigin = z.infer<typeof jobOriginSchema>;

type StreamReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

const PROGRESS_EVERY_MS = 1_000;
/** How long events are held so a late creation event can be put first. */
const REORDER_WINDOW_MS = 200;

/** Events that begin a job's (or a worker's) story. */
function isCreation(event: StatusEvent): boolean {
  return (
    (event.type === "queued" && event.data.from === "submit") ||
    (event.type === "scheduled" && event.attempt === 0) ||
    event.type === "worker.started"
  );
}

/** Stream order, but each creation event goes before the other events of its job or worker. */
export function creationFirst(events: readonly StatusEvent[]): StatusEvent[] {
  const firstOther = new Map<string, number>();
  const keyed = events.map((event, index) => {
    const key =
      "jobId" in event
        ? event.jobId
        : "instanceId" in event
          ? `api ${event.instanceId}`
          : `worker ${String(event.workerId)}`;
    const first = firstOther.get(key);
    if (!isCreation(event)) {
      if (first === undefined) firstOther.set(key, index);
      return { event, position: index };
    }
    // Half a step before the first other event: after anything else that came before it.
    return { event, position: first === undefined ? index : first - 0.5 };
  });
  return keyed.sort((a, b) => a.position - b.position).map(({ event }) => event);
}

function short(id: string): string {
  return id.slice(-6);
}

function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1_000)}s`;
}

/** An error message with the job's full id (which the line already shows) shortened. */
function message(text: string, jobId: string, max: number): string {
  return clip(text.replaceAll(jobId, `#${short(jobId)}`), max);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A short rendering of a result: the first few scalar fields of an object, or the value itself. */
function summarize(value: unknown, max = 96): string {
  if (value === null || value === undefined) return "(no result)";
  if (typeof value !== "object") return clip(JSON.stringify(value), max);
  if (Array.isArray(value)) return `[${value.length} item(s)]`;
  const parts = Object.entries(value as Record<string, unknown>)
    .filter(([, field]) => field === null || typeof field !== "object")
    .map(([key, field]) => `${key}=${clip(typeof field === "string" ? field : JSON.stringify(field), 30)}`);
  return clip(parts.join(" "), max);
}

// Partial: an event type added to the contract later is still printed, just without colour.
const TYPE_STYLE: Partial<Record<string, (text: string) => string>> = {
  queued: blue,
  scheduled: magenta,
  waiting: magenta,
  started: cyan,
  progress: dim,
  checkpoint: gray,
  log: gray,
  metric: gray,
  retrying: yellow,
  completed: green,
  failed: (text) => bold(red(text)),
  cancelled: magenta,
  "dead-lettered": red,
  "worker.started": (text) => bold(blue(text)),
  "worker.heartbeat": dim,
  "worker.stopped": (text) => bold(blue(text)),
};

const QUEUED_FROM: Partial<Record<string, string>> = {
  scheduled: "due now",
  retrying: "retry due",
  "handed-back": "handed back by a stopping worker",
  recovered: "recovered after a lost lease",
  dependencies: "dependencies done",
  replay: "replayed",
};

type JobEvent = Extract<StatusEvent, { jobId: string }>;

/** Where a new job came from: a parent job, a cron schedule, an event, a replay, a retry from the history, or a plain submit. */
function origin(event: JobEvent, data: { readonly origin?: JobOrigin | undefined }): string {
  const parts: string[] = [];
  if (event.parentId) parts.push(`child of #${short(event.parentId)}`);
  switch (data.origin?.kind) {
    case "cron":
      parts.push(`cron ${data.origin.schedule}`);
      break;
    case "event":
      parts.push(`on event ${data.origin.event}`);
      break;
    case "replay":
      parts.push(`replay of #${short(data.origin.replayOf)}`);
      break;
    case "retry":
      parts.push(`retry of #${short(data.origin.retryOf)}`);
      break;
    case undefined:
      break;
  }
  return parts.join(", ");
}

/** The interesting part of an event, after the common columns. */
function detail(event: StatusEvent): string {
  switch (event.type) {
    case "queued": {
      const { data } = event;
      if (data.from !== "submit") return dim(QUEUED_FROM[data.from] ?? data.from);
      const text = origin(event, data) || "submitted";
      return data.idempotencyKey ? `${text} ${dim(`key=${data.idempotencyKey}`)}` : text;
    }
    case "scheduled": {
      const from = origin(event, event.data);
      return `${from ? `${from}, ` : ""}runs in ${duration(event.data.runAt - event.at)}`;
    }
    case "waiting": {
      const from = origin(event, event.data);
      return `${from ? `${from}, ` : ""}waits for ${event.data.dependsOn.length} job(s)`;
    }
    case "started": {
      const { queueWaitMs, deliveries } = event.data;
      return dim(`waited ${duration(queueWaitMs)}${deliveries > 1 ? `, delivery ${deliveries}` : ""}`);
    }
    case "progress": {
      const { progress, current, total, message } = event.data;
      const count = current !== undefined && total !== undefined ? ` (${current}/${total})` : "";
      return `${Math.round(progress * 100)}%${count}${message ? ` ${message}` : ""}`;
    }
    case "checkpoint":
      return dim(`v${event.data.version} ${clip(JSON.stringify(event.data.state), 60)}`);
    case "log":
      return `[${event.data.level}] ${event.data.message}`;
    case "metric":
      return `${event.data.name}=${event.data.value}`;
    case "retrying": {
      const { error, reason, delayMs, nextAttempt } = event.data;
      const why = reason === "exception" ? "" : ` (${reason})`;
      return `${error.name}: ${message(error.message, event.jobId, 70)}${why} ${yellow(`-> attempt ${nextAttempt} in ${duration(delayMs)}`)}`;
    }
    case "completed":
      return `${dim(`in ${duration(event.data.durationMs)} ->`)} ${summarize(event.data.result)}`;
    case "failed": {
      const { error, reason } = event.data;
      return red(`${reason}: ${error.name}: ${message(error.message, event.jobId, 90)}`);
    }
    case "cancelled":
      return `was ${event.data.previous}${event.data.reason ? dim(` (${event.data.reason})`) : ""}`;
    case "dead-lettered":
      return `after ${event.data.attempts} attempt(s), reason ${event.data.reason}`;
    case "worker.started": {
      const { name, host, pid, functions, concurrency } = event.data;
      return `${name} on ${host} (pid ${pid}), concurrency ${concurrency}: ${functions.join(", ")}`;
    }
    case "worker.heartbeat": {
      const { active, held, completed, failed } = event.data;
      return dim(`active ${active}, held ${held}, completed ${completed}, failed ${failed}`);
    }
    case "worker.stopped":
      return `${event.data.reason}, ${event.data.handedBack} job(s) handed back`;
    default:
      // A type this printer has no case for (the contract grows): the payload's scalar fields.
      return dim(summarize((event as { data?: unknown }).data, 90));
  }
}

export function formatEvent(event: StatusEvent): string {
  const type = (TYPE_STYLE[event.type] ?? bold)(event.type.padEnd(16));
  if (!("jobId" in event)) {
    // Worker events, and namespace-level ones (their workerId, when present, says who wrote them).
    const source = (event as { workerId?: string | null }).workerId ?? "";
    return `${dim(clock(event.at))}  ${type} ${bold(source.padEnd(24))} ${detail(event)}`;
  }
  const attempt = event.attempt > 0 ? `a${event.attempt}` : "  ";
  return `${dim(clock(event.at))}  ${type} ${event.function.padEnd(15)} ${cyan(`#${short(event.jobId)}`)} ${dim(attempt)}  ${detail(event)}`;
}

export class LifecyclePrinter {
  readonly counts: PrinterCounts = { printed: 0, folded: 0, invalid: 0 };
  private readonly redis: Redis;
  private readonly key: string;
  private lastId = "$";
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();
  /** Per running job: when its last line was printed, to thin out progress lines. */
  private readonly lastLine = new Map<string, number>();
  private reportedReadError = false;
  /** Recently finished jobs. */
  private readonly finished = new Set<string>();
  private held: StatusEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PrinterOptions) {
    this.key = namespaceKeys(options.namespace).events;
    this.redis = new Redis(options.redisUrl, {
      maxRetriesPerRequest: null,
      connectionName: "example-printer",
    });
    this.redis.on("error", () => undefined); // reported by the read loop instead
  }

  /**
   * Starts reading at the stream's current end: what XREAD's `$` means. The id behind `$` is looked
   * up once before the worker starts, so an event written before the first blocking read (such as
   * worker.started) is not missed; every later read continues from the last id seen.
   */
  async start(): Promise<void> {
    const [last] = (await this.redis.xrevrange(this.key, "+", "-", "COUNT", 1)) as [string, string[]][];
    this.lastId = last?.[0] ?? "0-0";
    this.loop = this.read();
  }

  private async read(): Promise<void> {
    while (!this.isStopping()) {
      try {
        const reply = await this.redis.xread("COUNT", 500, "BLOCK", 1_000, "STREAMS", this.key, this.lastId);
        this.handle(reply);
        this.reportedReadError = false;
      } catch (error) {
        if (this.isStopping()) return;
        if (!this.reportedReadError) {
          complain(
            `reading ${this.key}: ${error instanceof Error ? error.message : String(error)}; retrying`,
          );
          this.reportedReadError = true;
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  // A method, not the field: the read loop awaits, and stop() flips the flag meanwhile.
  private isStopping(): boolean {
    return this.stopping;
  }

  private handle(reply: StreamReply): number {
    let seen = 0;
    for (const [, entries] of reply ?? []) {
      for (const [id, fields] of entries) {
        this.lastId = id;
        seen++;
        let raw: string | undefined;
        for (let i = 0; i + 1 < fields.length; i += 2) {
          if (fields[i] === STATUS_EVENT_FIELD) raw = fields[i + 1];
        }
        let parsed: unknown;
        try {
          parsed = raw === undefined ? undefined : JSON.parse(raw);
        } catch {
          parsed = undefined;
        }
        const result = statusEventSchema.safeParse(parsed);
        if (!result.success) {
          this.counts.invalid++;
          continue;
        }
        this.held.push(result.data);
      }
    }
    if (this.held.length > 0) {
      this.flushTimer ??= setTimeout(() => {
        this.flush();
      }, REORDER_WINDOW_MS);
    }
    return seen;
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const events = creationFirst(this.held);
    this.held = [];
    for (const event of events) this.print(event);
  }

  private print(event: StatusEvent): void {
    if (!this.options.allEvents && !this.wanted(event)) {
      this.counts.folded++;
      return;
    }
    this.counts.printed++;
    console.log(formatEvent(event));
  }

  private wanted(event: StatusEvent): boolean {
    if (event.type === "checkpoint" || event.type === "metric") return false;
    if (!("jobId" in event)) return true;
    const { jobId } = event;
    if (event.type === "progress") {
      // A cancelled handler may report progress until it notices: not worth a line.
      if (this.finished.has(jobId)) return false;
      const last = this.lastLine.get(jobId) ?? 0;
      if (event.at - last < PROGRESS_EVERY_MS) return false;
    }
    if (["completed", "failed", "cancelled", "dead-lettered"].includes(event.type)) {
      this.lastLine.delete(jobId);
      this.finished.add(jobId);
      if (this.finished.size > 1_000) this.finished.clear();
    } else {
      this.lastLine.set(jobId, event.at);
      // Jobs that vanish without a terminal event (their worker died) must not pile up here.
      if (this.lastLine.size > 10_000) this.lastLine.clear();
    }
    return true;
  }

  /** Stops after printing what is already in the stream (call it after the worker stopped). */
  async stop(): Promise<void> {
    this.stopping = true;
    // Ends a blocked XREAD at once; the rest is read on a fresh, short-lived connection.
    this.redis.disconnect();
    await this.loop;
    const drain = new Redis(this.options.redisUrl, {
      connectTimeout: 1_000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    drain.on("error", () => undefined);
    try {
      for (let round = 0; round < 20; round++) {
        const reply = await drain.xread("COUNT", 1_000, "STREAMS", this.key, this.lastId);
        if (this.handle(reply) === 0) break;
      }
    } catch {
      // Redis is gone: nothing more to print.
    } finally {
      drain.disconnect();
    }
    this.flush();
  }
}
