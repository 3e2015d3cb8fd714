/**
 * The Redis key layout (docs/architecture.md, "Where each rule lives"). Every key of one function shares the hash tag
 * `{<function>}` so each Lua script touches a single cluster slot. Namespace-wide keys
 * (status stream, registries) are only ever touched by plain commands, never by scripts
 * that also touch a function's keys.
 */

export interface FunctionKeys {
  /** Stream of job ids (entries carry ids only) with one consumer group. */
  readonly stream: string;
  /** ZSET of scheduled and retrying jobs, scored by due time (ms). */
  readonly scheduled: string;
  /** ZSET of jobs held by workers, scored by lease expiry (ms). */
  readonly leases: string;
  /** ZSET of dead-lettered job ids, scored by the time they died (ms). */
  readonly deadLetter: string;
  /** Prefix of job hashes; a declared key so scripts that discover ids stay in the slot. */
  readonly jobPrefix: string;
  /** Prefix of idempotency keys. */
  readonly idempotencyPrefix: string;
  /** ZSET of queued jobs with a priority, scored by effective submit time (ms). */
  readonly priority: string;
  /** ZSET of jobs waiting for their DAG parents, scored by creation time (ms). */
  readonly waiting: string;
  /** HASH of the function's settings: paused, concurrency cap, routing group, rate limit. */
  readonly config: string;
  /** Prefix of the function's rate-limit buckets (one per rate key; the bare prefix is the shared one). */
  readonly ratePrefix: string;
  job(id: string): string;
  idempotency(key: string): string;
  /** HASH of one cron schedule targeting this function: definition, paused flag, cursor, last run. */
  schedule(name: string): string;
}

export function functionKeys(namespace: string, fn: string): FunctionKeys {
  const base = `${namespace}:{${fn}}`;
  return {
    stream: `${base}:stream`,
    scheduled: `${base}:scheduled`,
    leases: `${base}:leases`,
    deadLetter: `${base}:dead`,
    jobPrefix: `${base}:job:`,
    idempotencyPrefix: `${base}:idem:`,
    priority: `${base}:priority`,
    waiting: `${base}:waiting`,
    config: `${base}:config`,
    ratePrefix: `${base}:rate:`,
    job: (id) => `${base}:job:${id}`,
    idempotency: (key) => `${base}:idem:${key}`,
    schedule: (name) => `${base}:schedule:${name}`,
  };
}

export interface NamespaceKeys {
  /** The status stream every lifecycle event goes to (capped with MAXLEN ~). */
  readonly events: string;
  /** List that holds events spilled while the status stream was not writable. */
  readonly eventsSpill: string;
  /**
   * Stream (capped) of status-stream entries the history server could not ingest: invalid ones
   * and ones whose processing kept failing, each with the reason, the original id and payload.
   */
  readonly eventsDeadLetter: string;
  /** HASH of the history server's firing alerts: "<rule>:<function>" -> JSON; shared by replicas. */
  readonly alerts: string;
  /** Short-lived lock so one history-server replica at a time runs the retention sweep. */
  readonly retentionLock: string;
  /** HASH {action, done, total, finished}: how far a bulk action of the history server has got (expires). */
  bulkProgress(operationId: string): string;
  /** Pub/sub channel: "<jobId> <status>" when a job someone waits on reaches a terminal state. */
  readonly doneChannel: string;
  /** Pub/sub channel: "<jobId>" when an active job is cancelled. */
  readonly cancelChannel: string;
  /** ZSET of worker ids scored by last heartbeat (ms). */
  readonly workers: string;
  /** SET of every function name ever registered or enqueued to. */
  readonly functions: string;
  worker(id: string): string;
  function(name: string): string;
  /** job id -> function name, so a job can be found by id alone. */
  jobIndex(id: string): string;
  /** Short-lived lock for namespace-wide housekeeping (consumer-group cleanup). */
  readonly housekeepingLock: string;
  /** HASH of cron schedules: schedule name -> the task it targets (whose slot holds its hash). */
  readonly schedules: string;
  /** Counter bumped on every schedule definition change, so schedulers re-read them cheaply. */
  readonly schedulesVersion: string;
  /** "<ns>:" — scripts that span functions (routing groups) build keys from it. */
  readonly prefix: string;
  /** SET of the functions of a routing group. */
  groupMembers(group: string): string;
  /** HASH of event subscriptions: handler task name -> JSON {pattern, worker, options, registeredAt}. */
  readonly subscriptions: string;
  /** ZSET of subscription handler names scored by the last time a worker serving them said so (ms). */
  readonly subscriptionsSeen: string;
  /** Counter bumped on every change of the subscriptions, so routing caches re-read them promptly. */
  readonly subscriptionsVersion: string;
  /** An idempotent event send: key -> the event id of the first send with that key. */
  eventSend(event: string, idempotencyKey: string): string;
  /** Pub/sub channel: JSON `{type: "artifact.created" | "artifact.deleted", jobId, artifact}` from the server. */
  readonly artifactsChannel: string;
  /** ZSET of HTTP API instance ids scored by last heartbeat (ms); see docs/http-apis.md. */
  readonly apis: string;
  /** HASH of one API instance: name, version, host, pid, routes, start and last-seen times. */
  api(instanceId: string): string;
}

export function namespaceKeys(namespace: string): NamespaceKeys {
  return {
    events: `${namespace}:events`,
    eventsSpill: `${namespace}:events:spill`,
    eventsDeadLetter: `${namespace}:events:dead`,
    alerts: `${namespace}:alerts`,
    retentionLock: `${namespace}:lock:retention`,
    bulkProgress: (operationId) => `${namespace}:bulk:${operationId}`,
    doneChannel: `${namespace}:done`,
    cancelChannel: `${namespace}:cancel`,
    workers: `${namespace}:workers`,
    functions: `${namespace}:functions`,
    worker: (id) => `${namespace}:worker:${id}`,
    function: (name) => `${namespace}:function:${name}`,
    jobIndex: (id) => `${namespace}:jobfn:${id}`,
    housekeepingLock: `${namespace}:lock:housekeeping`,
    schedules: `${namespace}:schedules`,
    schedulesVersion: `${namespace}:schedules:version`,
    prefix: `${namespace}:`,
    groupMembers: (group) => `${namespace}:group:${group}:members`,
    subscriptions: `${namespace}:subscriptions`,
    subscriptionsSeen: `${namespace}:subscriptions:seen`,
    subscriptionsVersion: `${namespace}:subscriptions:version`,
    eventSend: (event, idempotencyKey) => `${namespace}:event-send:${event}:${idempotencyKey}`,
    artifactsChannel: `${namespace}:artifacts`,
    apis: `${namespace}:apis`,
    api: (instanceId) => `${namespace}:api:${instanceId}`,
  };
}

/** The consumer group every worker of a function reads through. */
export const CONSUMER_GROUP = "workers";
