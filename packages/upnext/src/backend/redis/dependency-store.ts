/**
 * The DAG part of the Redis backend: registering children on their parents, resolving a waiting
 * child when a parent ends, and listing long-waiting children for the reconciler. Kept apart from
 * redis-backend.ts, which delegates to it.
 */
import type { FunctionKeys, JobStatus, NamespaceKeys } from "@upnext/core";
import { isJobStatus } from "@upnext/core";
import type { Redis } from "ioredis";
import type { DependentRef, ParentOutcome, ParentRef, ResolveResult, WaitingJob } from "../queue-backend.js";
import { asArray, asString } from "./reply-cells.js";
import { runScript } from "./scripts.js";

/** Dependents sets live at least this long; they are re-timed to the parent's retention when it ends. */
const DEPENDENTS_TTL_MS = 30 * 86_400_000;

function childRef(
  text: string | null,
  parentId: string,
  parentOutcome: ParentOutcome,
): DependentRef | undefined {
  const bar = text === null ? -1 : text.indexOf("|");
  if (text === null || bar < 0) return undefined;
  return { function: text.slice(0, bar), id: text.slice(bar + 1), parentId, parentOutcome };
}

/** Decodes "<fn>|<id>" entries of one parent's dependents set. */
export function decodeDependents(
  value: unknown,
  parentId: string,
  parentOutcome: ParentOutcome,
): DependentRef[] {
  return asArray(value).flatMap((item) => childRef(asString(item), parentId, parentOutcome) ?? []);
}

/** Decodes the finish script's {parentId, kind, "<fn>|<id>"} triples. */
export function decodeFinishedDependents(value: unknown): DependentRef[] {
  return asArray(value).flatMap((row) => {
    const cells = asArray(row);
    const parentId = asString(cells[0]);
    if (parentId === null) return [];
    return childRef(asString(cells[2]), parentId, cells[1] === "complete" ? "complete" : "failed") ?? [];
  });
}

export interface DependencyStoreOptions {
  readonly redis: Redis;
  readonly keys: NamespaceKeys;
  readonly keysOf: (fn: string) => FunctionKeys;
  readonly jobRetentionMs: number;
}

export class DependencyStore {
  constructor(private readonly options: DependencyStoreOptions) {}

  async addDependent(parent: ParentRef, child: ParentRef): Promise<"registered" | "missing" | JobStatus> {
    const reply = asString(
      await runScript(
        this.options.redis,
        "add-dependent",
        [this.options.keysOf(parent.function).job(parent.id)],
        [`${child.function}|${child.id}`, DEPENDENTS_TTL_MS],
      ),
    );
    if (reply === "registered" || reply === "missing") return reply;
    return reply !== null && isJobStatus(reply) ? reply : "missing";
  }

  async resolveDependent(child: ParentRef, parentId: string, outcome: ParentOutcome): Promise<ResolveResult> {
    const keys = this.options.keysOf(child.function);
    const row = asArray(
      await runScript(
        this.options.redis,
        "resolve-dependent",
        [keys.job(child.id), keys.stream, keys.priority, keys.scheduled, keys.waiting],
        [child.id, parentId, outcome, Date.now(), this.options.jobRetentionMs, this.options.keys.doneChannel],
      ),
    );
    const result = asString(row[0]);
    const outcomes = ["pending", "queued", "scheduled", "failed", "cancelled", "ignored"] as const;
    return {
      outcome: outcomes.find((candidate) => candidate === result) ?? "ignored",
      attempt: Number(row[1] ?? 0),
      parentId: asString(row[2]),
      rootId: asString(row[3]),
      dependents: decodeDependents(row[4], child.id, result === "failed" ? "failed" : "cancelled"),
    };
  }

  async waitingJobs(fn: string, olderThan: number, limit: number): Promise<WaitingJob[]> {
    const { redis, keysOf } = this.options;
    const keys = keysOf(fn);
    const ids = await redis.zrangebyscore(keys.waiting, "-inf", olderThan, "LIMIT", 0, limit);
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.job(id));
    const replies = (await pipeline.exec()) ?? [];
    const out: WaitingJob[] = [];
    ids.forEach((id, index) => {
      const hash = (replies[index]?.[1] ?? {}) as Record<string, string>;
      if (hash.status !== "waiting") return;
      let parents: ParentRef[] = [];
      try {
        parents = JSON.parse(hash.parents ?? "[]") as ParentRef[];
      } catch {
        parents = [];
      }
      const recorded = Object.keys(hash)
        .filter((field) => field.startsWith("p:"))
        .map((field) => field.slice(2));
      out.push({ id, parents, recorded });
    });
    return out;
  }
}

export type { ParentOutcome };
