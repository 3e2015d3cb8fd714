/**
 * QueueBackend on Redis: one Lua script per state transition (./lua), keys from @upnext/core.
 * Scripts only touch keys of one function (one hash tag), so the queue runs on Redis Cluster;
 * namespace-wide keys (job index, function registry) are written with plain commands beside them.
 */
import {
  CONSUMER_GROUP,
  functionKeys,
  isJobStatus,
  namespaceKeys,
  type FunctionKeys,
  type JobSnapshot,
  type JobStatus,
  type NamespaceKeys,
} from "@upnext/core";
import type { Redis } from "ioredis";
import type {
  BadEntry,
  CancelResult,
  ClaimOptions,
  ClaimResult,
  EnqueueResult,
  FinishRequest,
  FinishResult,
  HeldJob,
  NewJob,
  ParentOutcome,
  ParentRef,
  ResolveResult,
  WaitingJob,
  PromoteResult,
  SweepResult,
  QueueBackend,
  RateReservation,
  RateSpec,
  RecoveredJob,
  SettleResult,
} from "../queue-backend.js";
import { DependencyStore, decodeDependents, decodeFinishedDependents } from "./dependency-store.js";
import { decodeJobRecord } from "../job-record.js";
import { decodeClaimedJob, newJobFields } from "./job-hash.js";
import { asArray, asString } from "./reply-cells.js";
import { defineScripts, pipeScript, runScript } from "./scripts.js";

export interface RedisBackendOptions {
  readonly redis: Redis;
  readonly namespace: string;
  readonly jobRetentionMs: number;
  readonly deadLetterRetentionMs: number;
  readonly idempotencyTtlMs: number;
}

/** How long the id -> function index outlives a job's due time; long enough for any retention. */
const INDEX_SLACK_MS = 30 * 86_400_000;

/** Jobs per enqueue script call: big enough to amortise the call, small enough not to stall Redis. */
const ENQUEUE_CHUNK = 200;

const LOST_ERROR = JSON.stringify({
  name: "LeaseLostError",
  message: "The job's worker stopped renewing its lease (crashed or stalled) too many times.",
  code: "lost",
});

interface ScriptDocument {
  readonly results?: unknown;
  readonly dependents?: unknown;
  readonly jobs?: unknown;
  readonly bad?: unknown;
  readonly last?: unknown;
  readonly blocked?: unknown;
  readonly reason?: unknown;
  readonly deferred?: unknown;
}

function parseReply(reply: unknown): ScriptDocument {
  if (typeof reply !== "string") throw new Error(`Unexpected script reply: ${String(reply)}`);
  return JSON.parse(reply) as ScriptDocument;
}

function asSettle(value: unknown): SettleResult {
  const text = asString(value) ?? "gone";
  return text === "ok" || text === "gone" || isJobStatus(text) ? text : "gone";
}

export class RedisBackend implements QueueBackend {
  readonly redis: Redis;
  readonly namespace: string;
  readonly keys: NamespaceKeys;
  private readonly fnKeys = new Map<string, FunctionKeys>();
  private readonly registeredFunctions = new Set<string>();
  private readonly dependencies: DependencyStore;

  constructor(private readonly options: RedisBackendOptions) {
    this.redis = options.redis;
    this.namespace = options.namespace;
    this.keys = namespaceKeys(options.namespace);
    defineScripts(this.redis);
    this.dependencies = new DependencyStore({
      redis: this.redis,
      keys: this.keys,
      keysOf: (fn) => this.keysOf(fn),
      jobRetentionMs: options.jobRetentionMs,
    });
  }

  addDependent(parent: ParentRef, child: ParentRef): Promise<"registered" | "missing" | JobStatus> {
    return this.dependencies.addDependent(parent, child);
  }

  resolveDependent(child: ParentRef, parentId: string, outcome: ParentOutcome): Promise<ResolveResult> {
    return this.dependencies.resolveDependent(child, parentId, outcome);
  }

  waitingJobs(fn: string, olderThan: number, limit: number): Promise<WaitingJob[]> {
    return this.dependencies.waitingJobs(fn, olderThan, limit);
  }

  keysOf(fn: string): FunctionKeys {
    let keys = this.fnKeys.get(fn);
    if (!keys) {
      keys = functionKeys(this.namespace, fn);
      this.fnKeys.set(fn, keys);
    }
    return keys;
  }

  async enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    if (jobs.length === 0) return [];
    const now = Date.now();
    const [only] = jobs;
    if (jobs.length === 1 && only) return [await this.enqueueOne(only, now)];
    const pipeline = this.redis.pipeline();
    // One script call per function and chunk; results are put back in submission order.
    const groups = new Map<string, number[]>();
    jobs.forEach((job, index) => {
      const group = groups.get(job.function) ?? [];
      group.push(index);
      groups.set(job.function, group);
    });
    const calls: number[][] = [];
    for (const [fn, indexes] of groups) {
      if (!this.registeredFunctions.has(fn)) pipeline.sadd(this.keys.functions, fn);
      const keys = this.keysOf(fn);
      for (let start = 0; start < indexes.length; start += ENQUEUE_CHUNK) {
        const chunk = indexes.slice(start, start + ENQUEUE_CHUNK);
        const scriptKeys = enqueueKeys(keys);
        const args: (string | number)[] = [now, this.options.idempotencyTtlMs, chunk.length];
        for (const index of chunk) {
          const job = jobs[index];
          if (!job) continue;
          const part = this.enqueueArgs(job, keys, now);
          scriptKeys.push(...part.keys);
          args.push(...part.args);
          pipeline.set(this.keys.jobIndex(job.id), job.function, "PX", part.indexTtl);
        }
        pipeScript(pipeline, "enqueue", scriptKeys, args);
        calls.push(chunk);
      }
    }
    const replies = (await pipeline.exec()) ?? [];
    for (const fn of groups.keys()) this.registeredFunctions.add(fn);
    const results = new Array<EnqueueResult | undefined>(jobs.length);
    // Script replies are the last reply of each call's group of commands, in call order.
    let reply = 0;
    for (const chunk of calls) {
      // Skip the SADD (if any) and the index SETs queued before this script call.
      while (reply < replies.length && !Array.isArray(replies[reply]?.[1])) {
        const error = replies[reply]?.[0];
        if (error) throw error;
        reply++;
      }
      const [error, value] = replies[reply] ?? [new Error("missing reply"), null];
      reply++;
      if (error) throw error;
      asArray(value).forEach((row, position) => {
        const index = chunk[position];
        if (index !== undefined) results[index] = decodeEnqueued(row);
      });
    }
    // A duplicate idempotency key created no job: drop the index entry written for its id.
    const orphans = jobs.flatMap((job, index) =>
      results[index]?.created === false ? [this.keys.jobIndex(job.id)] : [],
    );
    if (orphans.length > 0) await this.redis.unlink(...orphans);
    return results.map((result) => {
      if (!result) throw new Error("enqueue: a job got no reply");
      return result;
    });
  }

  /**
   * One job (what `submit()` sends): its commands go straight to the connection, in the same
   * order a pipeline would send them. Building an ioredis pipeline copies every defined script
   * onto it, which cost a producer of single submits more than the commands themselves.
   */
  private async enqueueOne(job: NewJob, now: number): Promise<EnqueueResult> {
    const fn = job.function;
    const keys = this.keysOf(fn);
    const part = this.enqueueArgs(job, keys, now);
    const sent: Promise<unknown>[] = [];
    if (!this.registeredFunctions.has(fn)) sent.push(this.redis.sadd(this.keys.functions, fn));
    sent.push(this.redis.set(this.keys.jobIndex(job.id), fn, "PX", part.indexTtl));
    const reply = runScript(
      this.redis,
      "enqueue",
      [...enqueueKeys(keys), ...part.keys],
      [now, this.options.idempotencyTtlMs, 1, ...part.args],
    );
    const [, value] = await Promise.all([Promise.all(sent), reply]);
    this.registeredFunctions.add(fn);
    const result = decodeEnqueued(asArray(value)[0]);
    // A duplicate idempotency key created no job: drop the index entry written for its id.
    if (!result.created) await this.redis.unlink(this.keys.jobIndex(job.id));
    return result;
  }

  /** One job's part of an enqueue call (see enqueue.lua), and the TTL of its index entry. */
  private enqueueArgs(
    job: NewJob,
    keys: FunctionKeys,
    now: number,
  ): { keys: string[]; args: (string | number)[]; indexTtl: number } {
    const fields = newJobFields(job);
    const waits = job.dependsOn !== undefined && job.dependsOn.length > 0 ? 1 : 0;
    return {
      keys:
        job.idempotencyKey !== null
          ? [keys.job(job.id), keys.idempotency(job.idempotencyKey)]
          : [keys.job(job.id)],
      args: [
        job.id,
        job.runAt ?? 0,
        job.idempotencyKey !== null ? 1 : 0,
        waits,
        job.prioScore ?? "",
        fields.length,
        ...fields,
      ],
      indexTtl: Math.max(0, (job.runAt ?? now) - now) + this.options.jobRetentionMs + INDEX_SLACK_MS,
    };
  }

  async claim(fn: string, options: ClaimOptions): Promise<ClaimResult> {
    const keys = this.keysOf(fn);
    const reply = await runScript(
      this.redis,
      "claim",
      [keys.stream, keys.leases, keys.jobPrefix, keys.priority, keys.scheduled, keys.config, keys.ratePrefix],
      [
        CONSUMER_GROUP,
        options.workerId,
        options.count,
        options.now,
        options.leaseMs,
        options.runnable,
        this.keys.prefix,
        options.traced === true ? 1 : 0,
      ],
    );
    return this.decodeClaim(fn, parseReply(reply), options.now);
  }

  async finish(fn: string, requests: readonly FinishRequest[], claim: ClaimOptions): Promise<FinishResult> {
    const keys = this.keysOf(fn);
    const args: (string | number)[] = [
      claim.now,
      this.options.jobRetentionMs,
      this.options.deadLetterRetentionMs,
      this.keys.doneChannel,
      CONSUMER_GROUP,
      claim.workerId,
      claim.count,
      claim.leaseMs,
      claim.runnable,
      this.keys.prefix,
      claim.traced === true ? 1 : 0,
      requests.length,
    ];
    for (const request of requests) {
      const outcome = request.outcome;
      switch (outcome.kind) {
        case "complete":
          args.push(request.id, request.token, "complete", outcome.result, "", 0, "");
          break;
        case "failed":
          args.push(request.id, request.token, "failed", outcome.error, outcome.reason, 0, "");
          break;
        case "retry":
          args.push(
            request.id,
            request.token,
            "retry",
            outcome.error,
            outcome.reason,
            outcome.retryAt,
            request.traceFirst ?? "",
          );
          break;
      }
    }
    const doc = parseReply(
      await runScript(
        this.redis,
        "finish",
        [
          keys.leases,
          keys.deadLetter,
          keys.scheduled,
          keys.stream,
          keys.jobPrefix,
          keys.priority,
          keys.config,
          keys.ratePrefix,
        ],
        args,
      ),
    );
    return {
      results: asArray(doc.results).map(asSettle),
      next: this.decodeClaim(fn, doc, claim.now),
      dependents: decodeFinishedDependents(doc.dependents),
    };
  }

  private decodeClaim(fn: string, doc: ScriptDocument, now: number): ClaimResult {
    const blockedBy =
      doc.reason === "paused" || doc.reason === "concurrency" || doc.reason === "rate"
        ? doc.reason
        : undefined;
    return {
      jobs: asArray(doc.jobs).map((row) => decodeClaimedJob(fn, asArray(row), now)),
      ...(typeof doc.blocked === "number" ? { blockedUntil: doc.blocked, blockedBy } : {}),
      ...(typeof doc.deferred === "number" && doc.deferred > 0 ? { deferred: doc.deferred } : {}),
      bad: asArray(doc.bad).map((row): BadEntry => {
        const cells = asArray(row);
        return {
          function: fn,
          entryId: asString(cells[0]) ?? "",
          kind: cells[1] === "missing" ? "missing" : "malformed",
          detail: asString(cells[2]) ?? "",
        };
      }),
      lastId: asString(doc.last),
    };
  }

  async release(fn: string, jobs: readonly HeldJob[]): Promise<SettleResult[]> {
    if (jobs.length === 0) return [];
    const keys = this.keysOf(fn);
    const args: (string | number)[] = [Date.now(), jobs.length];
    for (const job of jobs) args.push(job.id, job.token);
    const reply = await runScript(
      this.redis,
      "release",
      [keys.leases, keys.stream, keys.jobPrefix, keys.priority],
      args,
    );
    return asArray(reply).map(asSettle);
  }

  async renewLeases(fn: string, ids: readonly string[], leaseMs: number): Promise<void> {
    if (ids.length === 0) return;
    const expiry = Date.now() + leaseMs;
    const args: (string | number)[] = [];
    for (const id of ids) args.push(expiry, id);
    // XX: never re-create a lease the recoverer or a finish already removed.
    await this.redis.zadd(this.keysOf(fn).leases, "XX", "GT", ...args);
  }

  async cancel(jobId: string, reason?: string, knownFunction?: string): Promise<CancelResult> {
    const fn = knownFunction ?? (await this.functionOf(jobId));
    if (fn === undefined) {
      return {
        outcome: "missing",
        previous: null,
        function: null,
        attempt: 0,
        parentId: null,
        rootId: null,
        workerId: null,
        dependents: [],
      };
    }
    const keys = this.keysOf(fn);
    const row = asArray(
      await runScript(
        this.redis,
        "cancel",
        [keys.job(jobId), keys.leases, keys.scheduled, keys.priority, keys.waiting],
        [
          jobId,
          Date.now(),
          reason ?? "",
          this.options.jobRetentionMs,
          this.keys.doneChannel,
          this.keys.cancelChannel,
        ],
      ),
    );
    const outcome = asString(row[0]);
    const previous = asString(row[1]);
    return {
      outcome: outcome === "cancelled" || outcome === "terminal" ? outcome : "missing",
      previous: previous !== null && isJobStatus(previous) ? previous : null,
      function: fn,
      attempt: Number(row[2] ?? 0),
      parentId: asString(row[3]),
      rootId: asString(row[4]),
      workerId: asString(row[5]),
      dependents: decodeDependents(row[7], jobId, "cancelled"),
    };
  }

  async promote(fn: string, now: number, limit: number): Promise<PromoteResult> {
    const keys = this.keysOf(fn);
    const reply = asArray(
      await runScript(
        this.redis,
        "promote",
        [keys.scheduled, keys.stream, keys.jobPrefix, keys.priority],
        [now, limit],
      ),
    );
    return decodePromoted(reply[0], reply[1]);
  }

  async recover(fn: string, now: number, maxDeliveries: number, limit: number): Promise<RecoveredJob[]> {
    const keys = this.keysOf(fn);
    const reply = await runScript(
      this.redis,
      "recover",
      [keys.leases, keys.stream, keys.deadLetter, keys.jobPrefix, keys.priority],
      [now, maxDeliveries, limit, this.options.deadLetterRetentionMs, this.keys.doneChannel, LOST_ERROR],
    );
    return decodeRecovered(reply);
  }

  async sweep(fn: string, now: number, maxDeliveries: number, limit: number): Promise<SweepResult> {
    const keys = this.keysOf(fn);
    const reply = asArray(
      await runScript(
        this.redis,
        "sweep",
        [keys.scheduled, keys.stream, keys.jobPrefix, keys.priority, keys.leases, keys.deadLetter],
        [now, limit, maxDeliveries, this.options.deadLetterRetentionMs, this.keys.doneChannel, LOST_ERROR],
      ),
    );
    return { promoted: decodePromoted(reply[0], reply[1]), recovered: decodeRecovered(reply[2]) };
  }

  async updateRunningJob(
    fn: string,
    job: HeldJob,
    fields: Readonly<Record<string, string>>,
  ): Promise<boolean> {
    const args: string[] = [job.token];
    for (const [field, value] of Object.entries(fields)) args.push(field, value);
    const reply = await runScript(this.redis, "job-update", [this.keysOf(fn).job(job.id)], args);
    return reply === 1;
  }

  async getJob(jobId: string, knownFunction?: string): Promise<JobSnapshot | undefined> {
    const fn = knownFunction ?? (await this.functionOf(jobId));
    if (fn === undefined) return undefined;
    const hash = await this.redis.hgetall(this.keysOf(fn).job(jobId));
    return decodeJobRecord(jobId, hash);
  }

  async watch(jobId: string, knownFunction?: string): Promise<JobStatus | undefined> {
    const fn = knownFunction ?? (await this.functionOf(jobId));
    if (fn === undefined) return undefined;
    const reply = asString(await runScript(this.redis, "watch", [this.keysOf(fn).job(jobId)], []));
    return reply !== null && isJobStatus(reply) ? reply : undefined;
  }

  async reserveRate(
    fn: string,
    rateKey: string | null,
    count: number,
    rate: RateSpec,
    mode: "reject" | "delay",
  ): Promise<RateReservation> {
    const interval = rate.windowMs / rate.limit;
    const bucket = this.keysOf(fn).ratePrefix + (rateKey ?? "");
    const reply = asArray(
      await runScript(
        this.redis,
        "rate-reserve",
        [bucket],
        // Tolerance 0, as at claim time: evenly spaced slots.
        [count, interval, 0, mode],
      ),
    );
    if (reply[0] !== 1) return { ok: false, retryAt: Number(reply[1] ?? Date.now()) };
    return { ok: true, runAt: reply.slice(1).map(Number) };
  }

  async functionOf(jobId: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.jobIndex(jobId))) ?? undefined;
  }

  async knownFunctions(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.functions)).sort();
  }

  liveWorkers(seenSince: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.workers, seenSince, "+inf");
  }

  async close(): Promise<void> {
    // The connection belongs to whoever created it (the NamespaceClient); nothing to release here.
  }
}

function decodePromoted(moved: unknown, nextDueCell: unknown): PromoteResult {
  const nextDue = asString(nextDueCell);
  return {
    moved: asArray(moved).map((row) => {
      const cells = asArray(row);
      const id = asString(cells[0]) ?? "";
      const previous = asString(cells[1]);
      return {
        id,
        previous: previous !== null && isJobStatus(previous) ? previous : "scheduled",
        attempt: Number(cells[2] ?? 0),
        parentId: asString(cells[3]),
        rootId: asString(cells[4]) ?? id,
        deferred: cells[5] === 1,
      };
    }),
    nextDue: nextDue === null ? null : Number(nextDue),
  };
}

function decodeRecovered(reply: unknown): RecoveredJob[] {
  return asArray(reply).map((row) => {
    const cells = asArray(row);
    const id = asString(cells[0]) ?? "";
    return {
      id,
      outcome: cells[1] === "lost" ? "lost" : "requeued",
      attempt: Number(cells[2] ?? 0),
      deliveries: Number(cells[3] ?? 1),
      parentId: asString(cells[4]),
      rootId: asString(cells[5]) ?? id,
      workerId: asString(cells[6]),
      dependents: decodeDependents(cells[7], id, "failed"),
    };
  });
}

/** The keys every enqueue call starts with; each job's own keys follow. */
function enqueueKeys(keys: FunctionKeys): string[] {
  return [keys.stream, keys.scheduled, keys.jobPrefix, keys.priority, keys.waiting];
}

function decodeEnqueued(row: unknown): EnqueueResult {
  const cells = asArray(row);
  const id = asString(cells[1]) ?? "";
  const status = asString(cells[2]) ?? "queued";
  return cells[0] === 1
    ? { created: true, id, status: status === "scheduled" || status === "waiting" ? status : "queued" }
    : { created: false, id, status: isJobStatus(status) ? status : "queued" };
}
