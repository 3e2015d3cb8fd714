/**
 * Events: publish once, every subscribed handler runs (docs/events.md). `defineEvent()` gives a
 * typed handle whose `send()` routes, through the subscriptions stored in Redis, to one job per
 * matching handler on any worker; `worker.on()` (see `subscribe`) defines such a handler.
 */
import {
  InvalidInputError,
  InvalidOptionError,
  encodePayload,
  payloadLimit,
  newJobId,
  normalizeIdempotencyKey,
  validateName,
  type EventSentEvent,
} from "@upnext/core";
import type { NewJob } from "../backend/queue-backend.js";
import { NamespaceClient } from "../runtime/namespace-client.js";
import {
  EventSubscriptions,
  deleteSubscription,
  isLive,
  subscriptionTable,
  type RoutedSubscription,
  type SubscriptionTable,
} from "../runtime/flow/event-subscriptions.js";
import { jobEvent } from "../runtime/status/job-events.js";
import { currentJob, lineageFor } from "../runtime/execution/lineage.js";
import type { InputSchema, TaskHandler } from "../runtime/execution/task-definition.js";
import { derivedHandlerName, matchesPattern, validateEventName, validatePattern } from "./event-patterns.js";
import { JobRef } from "./job-ref.js";
import { enqueueJobs } from "./job-submitter.js";
import type { TaskHandle } from "./task-handle.js";
import { rejectUnknown, type TaskOptions } from "./task-options.js";
import type { RuntimeService } from "../runtime/worker-runtime.js";

/** Where a send goes: a Worker (its connection; its id goes on the sent event) or a NamespaceClient. */
export type EventConnection =
  { readonly connection: NamespaceClient; readonly workerId: string | undefined } | NamespaceClient;

/** What `worker.on()` needs of its Worker; a type of its own, so this file does not import sdk/worker.ts. */
export interface SubscribingWorker {
  readonly name: string;
  task<I, O>(name: string, options: TaskOptions<I, O>, handler: TaskHandler<I, O>): TaskHandle<I, O>;
  addService(service: RuntimeService): void;
}

export interface EventOptions<P> {
  /** Schema the payload must pass before anything is sent (anything with `parse`, e.g. zod). */
  readonly schema?: InputSchema<P>;
  /** Default connection of this event's sends (default: the process-wide one, from UPNEXT_*). */
  readonly connection?: EventConnection;
}

export interface SendOptions {
  /**
   * Sending again with the same key (within UPNEXT_IDEMPOTENCY_TTL) returns the first send's
   * event id and jobs instead of creating new ones.
   */
  readonly idempotencyKey?: string;
  /** Overrides the event's connection for this send. */
  readonly connection?: EventConnection;
}

export interface SendResult {
  /** Id of this send (of the first one, for a repeated idempotency key); jobs carry it as `ctx.origin.eventId`. */
  readonly eventId: string;
  /** Number of matching live subscriptions, i.e. of jobs. 0 is not an error. */
  readonly delivered: number;
  /** One job per matching handler, ordered by handler name. */
  readonly jobs: readonly JobRef[];
}

/** Options of an event handler: a task's options plus its name. */
export type EventHandlerOptions<P = unknown, O = unknown> = TaskOptions<P, O> & {
  /**
   * The handler's task name and the subscription's stable identity (recommended). Default:
   * `<worker name>:on:<pattern>` with `*` written `_` and `**` written `__`.
   */
  readonly name?: string;
};

const EVENT_OPTION_NAMES = new Set(["schema", "connection"]);
const SEND_OPTION_NAMES = new Set(["idempotencyKey", "connection"]);

/** The payload of a send failed its event's schema. Nothing was sent. */
export class InvalidEventPayloadError extends InvalidInputError {
  constructor(
    readonly event: string,
    issues: string,
    options?: ErrorOptions,
  ) {
    super(event, issues, options);
    this.message = `Payload of event '${event}' is invalid: ${issues}. Nothing was sent.`;
  }
}

function issuesOf(error: unknown): string {
  const issues = (error as { issues?: unknown }).issues;
  if (Array.isArray(issues)) {
    return issues
      .map((issue: { path?: unknown[]; message?: string }) => {
        const path = Array.isArray(issue.path) && issue.path.length > 0 ? issue.path.join(".") : "(payload)";
        return `${path}: ${issue.message ?? "invalid"}`;
      })
      .join("; ");
  }
  return error instanceof Error ? error.message : String(error);
}

let defaultConnection: NamespaceClient | undefined;

/** The connection used when neither the send nor the event names one, opened on first use. */
function processConnection(): NamespaceClient {
  if (!defaultConnection || defaultConnection.isClosed) defaultConnection = new NamespaceClient();
  return defaultConnection;
}

/** Closes the process-wide connection sends use by default (call it before exiting a producer). */
export async function closeDefaultConnection(): Promise<void> {
  const connection = defaultConnection;
  defaultConnection = undefined;
  await connection?.close();
}

function resolveConnection(target: EventConnection | undefined): NamespaceClient {
  if (target === undefined) return processConnection();
  if (target instanceof NamespaceClient) return target;
  return target.connection;
}

/** Matches per table and event name; a table is replaced when anything changes, which drops its entry. */
const routeCache = new WeakMap<SubscriptionTable, Map<string, readonly RoutedSubscription[]>>();

function routesFor(table: SubscriptionTable, event: string, now: number): RoutedSubscription[] {
  let byEvent = routeCache.get(table);
  if (!byEvent) {
    byEvent = new Map();
    routeCache.set(table, byEvent);
  }
  let matching = byEvent.get(event);
  if (!matching) {
    matching = table.subscriptions.filter((subscription) => matchesPattern(subscription.pattern, event));
    byEvent.set(event, matching);
  }
  return matching.filter((subscription) => isLive(subscription, now));
}

/**
 * The event id of a send: a new one, or for an idempotency key already used, the first send's.
 * SET NX and GET in one pipeline rather than SET NX GET, which needs Redis 7.
 */
async function claimEventId(
  connection: NamespaceClient,
  event: string,
  idempotencyKey: string | null,
  now: number,
): Promise<{ eventId: string; first: boolean }> {
  const eventId = newJobId(now);
  if (idempotencyKey === null) return { eventId, first: true };
  const key = connection.keys.eventSend(event, idempotencyKey);
  // Retried only if the key expired between the SET and the GET.
  for (let attempt = 0; attempt < 3; attempt++) {
    const replies = (await connection.redis
      .pipeline()
      .set(key, eventId, "PX", connection.config.idempotencyTtl, "NX")
      .get(key)
      .exec()) ?? [[new Error("no reply"), null]];
    for (const [error] of replies) if (error) throw error;
    if (replies[0]?.[1] === "OK") return { eventId, first: true };
    const previous = replies[1]?.[1];
    if (typeof previous === "string") return { eventId: previous, first: false };
  }
  throw new Error(`Could not record the idempotency key of event '${event}'; try again.`);
}

export class EventHandle<P = unknown> {
  readonly name: string;
  readonly schema: InputSchema<P> | undefined;
  private readonly connection: EventConnection | undefined;

  constructor(name: string, options: EventOptions<P> = {}) {
    this.name = validateEventName(name);
    if (typeof options !== "object") throw new InvalidOptionError("event options", options, "give an object");
    rejectUnknown("event options", options, EVENT_OPTION_NAMES);
    if (options.schema !== undefined && typeof (options.schema as { parse?: unknown }).parse !== "function") {
      throw new InvalidOptionError(
        "schema",
        "(object without parse)",
        "give a schema with a parse(value) method, such as a zod schema",
      );
    }
    this.schema = options.schema;
    this.connection = options.connection;
  }

  /**
   * Validates the payload, then enqueues one job per matching live subscription in one
   * pipelined call and records the send as an `event.sent` status event (also when nothing
   * matched). Sent from inside a job, the jobs are its children.
   */
  async send(payload: P, options: SendOptions = {}): Promise<SendResult> {
    if (typeof options !== "object") throw new InvalidOptionError("send options", options, "give an object");
    rejectUnknown("send options", options, SEND_OPTION_NAMES);
    let value: unknown = payload;
    if (this.schema) {
      try {
        value = this.schema.parse(payload);
      } catch (error) {
        throw new InvalidEventPayloadError(this.name, issuesOf(error), { cause: error });
      }
    }
    const target = options.connection ?? this.connection;
    const connection = resolveConnection(target);
    const encoded = encodePayload(
      value,
      `The payload of event '${this.name}'`,
      "payload",
      payloadLimit(connection.config),
    );
    // What handlers will receive, as carried by the status events.
    const stored = JSON.parse(encoded) as unknown;
    const idempotencyKey =
      options.idempotencyKey === undefined ? null : normalizeIdempotencyKey(options.idempotencyKey);

    const now = Date.now();
    const [table, { eventId, first }] = await Promise.all([
      subscriptionTable(connection, now),
      claimEventId(connection, this.name, idempotencyKey, now),
    ]);
    const routes = routesFor(table, this.name, now);
    const origin = { kind: "event" as const, event: this.name, eventId };
    const jobs = routes.map((route): NewJob => {
      const id = newJobId(now);
      const lineage = lineageFor(id);
      return {
        id,
        function: route.handler,
        input: encoded,
        maxAttempts: route.maxAttempts,
        maxDeliveries: route.maxDeliveries,
        priority: route.priority,
        // Ordered like a submit of that priority (see UPNEXT_PRIORITY_STEP).
        prioScore: route.priority === 0 ? null : now - route.priority * connection.config.priorityStep,
        parentId: lineage.parentId,
        rootId: lineage.rootId,
        // Per send, not the user's key: two events routed to one handler may share a key.
        idempotencyKey: idempotencyKey === null ? null : `event:${eventId}`,
        runAt: null,
        timeoutMs: null,
        tags: {},
        metadata: {},
        createdAt: now,
        origin,
      };
    });
    const results = jobs.length > 0 ? await enqueueJobs(connection, jobs) : [];

    const pending: Promise<void>[] = [];
    const publish = (event: Parameters<NamespaceClient["publisher"]["publish"]>[0]) => {
      const wait = connection.publisher.publish(event);
      if (wait) pending.push(wait);
    };
    const refs: JobRef[] = [];
    let created = 0;
    results.forEach((result, index) => {
      const job = jobs[index];
      if (!job) return;
      refs.push(new JobRef(result.id, job.function, () => connection));
      if (!result.created) return;
      created++;
      publish(
        jobEvent(
          "queued",
          { jobId: job.id, function: job.function, attempt: 0, parentId: job.parentId, rootId: job.rootId },
          null,
          {
            from: "submit",
            input: stored,
            maxAttempts: job.maxAttempts,
            priority: job.priority,
            idempotencyKey: job.idempotencyKey,
            origin,
          },
          now,
        ),
      );
    });
    // A repeated idempotent send that created nothing is not a new send.
    if (first || created > 0) publish(this.sentEvent(target, now, eventId, stored, refs, idempotencyKey));
    await Promise.all(pending);
    return { eventId, delivered: refs.length, jobs: refs };
  }

  private sentEvent(
    target: EventConnection | undefined,
    at: number,
    eventId: string,
    payload: unknown,
    refs: readonly JobRef[],
    idempotencyKey: string | null,
  ): EventSentEvent {
    const parent = currentJob.getStore();
    const workerId =
      target !== undefined && !(target instanceof NamespaceClient) ? target.workerId : undefined;
    return {
      type: "event.sent",
      at,
      workerId: workerId ?? null,
      ...(parent ? { parentId: parent.jobId, rootId: parent.rootId } : {}),
      data: {
        event: this.name,
        eventId,
        payload,
        delivered: refs.length,
        jobIds: refs.map((ref) => ref.id),
        ...(idempotencyKey !== null ? { idempotencyKey } : {}),
      },
    };
  }
}

/**
 * Defines an event. `P` is the payload type (inferred from `schema` when one is given). The
 * handle sends; workers subscribe to it (or to a pattern) with `worker.on()`.
 */
export function defineEvent<P = unknown>(name: string, options: EventOptions<P> = {}): EventHandle<P> {
  return new EventHandle<P>(name, options);
}

const servicesByWorker = new WeakMap<SubscribingWorker, EventSubscriptions>();

/**
 * worker.on(): defines the handler as a normal task of the worker (retries, timeout, backoff,
 * hooks and input schema all apply) and registers its subscription when the worker starts.
 */
export function subscribe<P, O>(
  worker: SubscribingWorker,
  target: string | EventHandle<P>,
  options: EventHandlerOptions<P, O>,
  handler: TaskHandler<P, O>,
): TaskHandle<P, O> {
  const given: unknown = options;
  if (typeof given !== "object" || given === null) {
    throw new InvalidOptionError("options", options, "give an options object, e.g. { name: 'send-receipt' }");
  }
  let pattern: string;
  let schema: InputSchema<P> | undefined;
  if (target instanceof EventHandle) {
    pattern = target.name;
    schema = target.schema;
  } else {
    pattern = validatePattern(target);
  }
  const { name, ...taskOptions } = options;
  const handlerName =
    name === undefined ? derivedHandlerName(worker.name, pattern) : validateName("handler name", name);
  const handle = worker.task<P, O>(
    handlerName,
    taskOptions.input === undefined && schema !== undefined ? { ...taskOptions, input: schema } : taskOptions,
    handler,
  );
  let service = servicesByWorker.get(worker);
  if (!service) {
    service = new EventSubscriptions(worker.name);
    worker.addService(service);
    servicesByWorker.set(worker, service);
  }
  service.add(handle.definition, pattern);
  return handle;
}

/** The subscriptions `worker.on` made on this worker (none: an empty list). */
export function subscriptionsOf(
  worker: SubscribingWorker,
): readonly { readonly handler: string; readonly pattern: string }[] {
  return servicesByWorker.get(worker)?.subscriptions ?? [];
}

export interface SubscriptionInfo {
  readonly handler: string;
  readonly pattern: string;
  readonly worker: string;
  readonly registeredAt: Date;
  /** Last time a running worker serving it was seen (null: never). */
  readonly lastSeenAt: Date | null;
  /** Whether sends route to it (seen within the last 7 days). */
  readonly live: boolean;
}

/** Every subscription stored in the namespace, live or not, ordered by handler name. */
export async function listSubscriptions(
  options: { readonly connection?: EventConnection } = {},
): Promise<SubscriptionInfo[]> {
  const connection = resolveConnection(options.connection);
  const now = Date.now();
  // Bypasses the cache: a listing should show what is stored now.
  const table = await subscriptionTable(connection, now, { fresh: true });
  return table.subscriptions.map((subscription) => ({
    handler: subscription.handler,
    pattern: subscription.pattern,
    worker: subscription.worker,
    registeredAt: new Date(subscription.registeredAt),
    lastSeenAt: subscription.seenAt > 0 ? new Date(subscription.seenAt) : null,
    live: isLive(subscription, now),
  }));
}

/**
 * Deletes a subscription at once, for a handler removed from the code (it would otherwise stop
 * receiving events only after 7 days unseen). A worker that still defines the handler registers
 * it again within a minute. Returns false when there was no such subscription.
 */
export async function removeSubscription(
  handler: string,
  options: { readonly connection?: EventConnection } = {},
): Promise<boolean> {
  return deleteSubscription(resolveConnection(options.connection), handler);
}
