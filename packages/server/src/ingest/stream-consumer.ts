/**
 * The history's consumer group on the status stream: every Redis call the ingester makes, on
 * one connection of its own. Replies are parsed here, so the loop (ingester.ts) deals in entries
 * and ids only.
 */
import type { Redis } from "ioredis";

/** The consumer group of every history-server replica: each entry is ingested by one of them. */
export const INGEST_GROUP = "history";

/** Room for this consumer's other pending entries when reading delivery counts. */
const MAX_OTHER_PENDING = 10_000;

export interface StreamEntry {
  readonly id: string;
  /** null when the entry was trimmed from the stream while it was pending. */
  readonly fields: string[] | null;
}

export interface DeadLetterRecord {
  /** The status-stream entry id. */
  readonly id: string;
  readonly reason: string;
  readonly error: string;
  readonly payload: string;
}

export interface ConsumerOptions {
  readonly redis: Redis;
  readonly stream: string;
  readonly deadLetterStream: string;
  /** MAXLEN ~ of the dead-letter stream. */
  readonly deadLetterMaxLen: number;
  readonly consumer: string;
}

export interface GroupBacklog {
  /** Entries not yet delivered to the group (XINFO GROUPS lag); null when Redis cannot tell. */
  readonly undelivered: number | null;
  readonly pending: number;
}

export class StatusStreamConsumer {
  readonly consumer: string;
  private readonly redis: Redis;
  private readonly stream: string;

  constructor(private readonly options: ConsumerOptions) {
    this.redis = options.redis;
    this.stream = options.stream;
    this.consumer = options.consumer;
  }

  /**
   * Creates the group at `start` (`$`: from now on) unless it exists: a first start never
   * replays the stream's history; later starts resume where the group left off.
   */
  async ensureGroup(start: string): Promise<boolean> {
    try {
      await this.redis.call("XGROUP", "CREATE", this.stream, INGEST_GROUP, start, "MKSTREAM");
      return true;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("BUSYGROUP")) return false;
      throw error;
    }
  }

  /** New entries for this consumer; waits up to blockMs when there are none (0: no wait). */
  readNew(count: number, blockMs: number): Promise<StreamEntry[]> {
    return this.readGroup(">", count, blockMs);
  }

  /** This consumer's delivered-but-unacknowledged entries, delivered again (count + 1). */
  readOwnPending(count: number): Promise<StreamEntry[]> {
    return this.readGroup("0", count, 0);
  }

  /** XREADGROUP from `from`: ">" for new entries, "0" for this consumer's pending ones. */
  private async readGroup(from: ">" | "0", count: number, blockMs: number): Promise<StreamEntry[]> {
    const block = blockMs > 0 ? ["BLOCK", blockMs] : [];
    const reply = await this.redis.call(
      "XREADGROUP",
      "GROUP",
      INGEST_GROUP,
      this.consumer,
      "COUNT",
      count,
      ...block,
      "STREAMS",
      this.stream,
      from,
    );
    return readReply(reply);
  }

  /**
   * Takes over entries other consumers (a crashed replica) left pending longer than minIdleMs.
   * Entries the stream trimmed meanwhile come back with `fields: null`.
   */
  async claimStale(minIdleMs: number, count: number): Promise<StreamEntry[]> {
    const out: StreamEntry[] = [];
    let cursor = "0-0";
    do {
      const reply = await this.redis.call(
        "XAUTOCLAIM",
        this.stream,
        INGEST_GROUP,
        this.consumer,
        minIdleMs,
        cursor,
        "COUNT",
        count - out.length,
      );
      const [next, entries, deleted] = Array.isArray(reply) ? (reply as unknown[]) : [];
      cursor = typeof next === "string" ? next : "0-0";
      out.push(...parseEntries(entries));
      if (Array.isArray(deleted)) for (const id of deleted) out.push({ id: String(id), fields: null });
    } while (cursor !== "0-0" && out.length < count);
    return out;
  }

  /** How many times each entry has been delivered (XPENDING), for this consumer's entries. */
  async deliveryCounts(ids: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (ids.length === 0) return counts;
    const sorted = [...ids].sort(compareIds);
    const reply = await this.redis.call(
      "XPENDING",
      this.stream,
      INGEST_GROUP,
      sorted[0] ?? "-",
      sorted[sorted.length - 1] ?? "+",
      // This consumer may hold other entries inside the range (ones waiting to be retried).
      ids.length + MAX_OTHER_PENDING,
      this.consumer,
    );
    if (!Array.isArray(reply)) return counts;
    for (const row of reply as unknown[]) {
      if (Array.isArray(row)) counts.set(String(row[0]), Number(row[3]));
    }
    return counts;
  }

  async ack(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.redis.call("XACK", this.stream, INGEST_GROUP, ...ids);
  }

  /** Records entries in the dead-letter stream and acknowledges them, atomically. */
  async deadLetter(records: readonly DeadLetterRecord[], at: number = Date.now()): Promise<void> {
    if (records.length === 0) return;
    const multi = this.redis.multi();
    for (const record of records) {
      multi.xadd(
        this.options.deadLetterStream,
        "MAXLEN",
        "~",
        this.options.deadLetterMaxLen,
        "*",
        "reason",
        record.reason,
        "error",
        record.error,
        "entryId",
        record.id,
        "stream",
        this.stream,
        "payload",
        record.payload,
        "consumer",
        this.consumer,
        "at",
        String(at),
      );
    }
    multi.xack(this.stream, INGEST_GROUP, ...records.map((record) => record.id));
    const replies = await multi.exec();
    if (replies === null) throw new Error("Connection is closed.");
    const failed = replies.find(([error]) => error !== null)?.[0];
    if (failed) throw failed;
  }

  async backlog(): Promise<GroupBacklog> {
    const reply = await this.redis.call("XINFO", "GROUPS", this.stream);
    for (const group of Array.isArray(reply) ? (reply as unknown[]) : []) {
      const fields = pairs(group);
      if (fields.get("name") !== INGEST_GROUP) continue;
      const lag = fields.get("lag");
      return {
        undelivered: lag === null || lag === undefined ? null : Number(lag),
        pending: Number(fields.get("pending") ?? 0),
      };
    }
    return { undelivered: null, pending: 0 };
  }

  /**
   * Deletes consumers of the group that own no pending entry and have been idle longer than
   * idleMs (replicas that stopped or restarted under a new name). Harmless for a live one:
   * Redis re-creates a consumer on its next read.
   */
  async removeIdleConsumers(idleMs: number): Promise<string[]> {
    const reply = await this.redis.call("XINFO", "CONSUMERS", this.stream, INGEST_GROUP);
    const removed: string[] = [];
    for (const consumer of Array.isArray(reply) ? (reply as unknown[]) : []) {
      const fields = pairs(consumer);
      const name = String(fields.get("name"));
      if (name === this.consumer) continue;
      if (Number(fields.get("pending")) !== 0 || Number(fields.get("idle")) < idleMs) continue;
      await this.redis.call("XGROUP", "DELCONSUMER", this.stream, INGEST_GROUP, name);
      removed.push(name);
    }
    return removed;
  }

  /** Removes this consumer when it owns nothing (at shutdown); true when it did. */
  async removeSelfIfIdle(): Promise<boolean> {
    const pending = await this.redis.call("XPENDING", this.stream, INGEST_GROUP, "-", "+", 1, this.consumer);
    if (Array.isArray(pending) && pending.length > 0) return false;
    await this.redis.call("XGROUP", "DELCONSUMER", this.stream, INGEST_GROUP, this.consumer);
    return true;
  }
}

/** Orders stream ids numerically ("10-0" after "9-0"). */
export function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split("-").map(Number);
  const [bMs = 0, bSeq = 0] = b.split("-").map(Number);
  return aMs !== bMs ? aMs - bMs : aSeq - bSeq;
}

/**
 * One stream's entries from an XREADGROUP reply: `[[key, entries]]` over RESP2, `[key, entries]`
 * when ioredis flattens a RESP3 map.
 */
function readReply(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const [first, second] = reply as unknown[];
  if (typeof first === "string") return parseEntries(second);
  return Array.isArray(first) ? parseEntries((first as unknown[])[1]) : [];
}

function parseEntries(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) return [];
  const entries: StreamEntry[] = [];
  for (const item of raw as unknown[]) {
    if (!Array.isArray(item)) continue;
    const [id, fields] = item as [unknown, unknown];
    entries.push({ id: String(id), fields: Array.isArray(fields) ? fields.map(String) : null });
  }
  return entries;
}

/** A flat [name, value, name, value...] reply as a map. */
function pairs(raw: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  if (!Array.isArray(raw)) return map;
  const items = raw as unknown[];
  for (let index = 0; index + 1 < items.length; index += 2) map.set(String(items[index]), items[index + 1]);
  return map;
}
