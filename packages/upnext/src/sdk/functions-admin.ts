/**
 * Operations on a function (task) as a whole, from any process: pause and resume claiming, and
 * read its queue state. Pausing stops claims on every worker at their next claim; jobs keep
 * arriving and wait, nothing is dropped; running jobs finish.
 */
import { UnknownTaskError, validateName } from "@upnext/core";
import { NamespaceClient, type StandaloneOptions } from "../runtime/namespace-client.js";

export interface FunctionState {
  readonly name: string;
  readonly paused: boolean;
  /** Jobs waiting in the stream or the priority set. */
  readonly queued: number;
  readonly scheduled: number;
  /** Claimed and not finished (running or prefetched), across all workers. */
  readonly active: number;
  readonly waiting: number;
  readonly deadLettered: number;
  readonly concurrency: number | null;
  readonly routingGroup: string | null;
  readonly rateLimit: string | null;
}

export class Functions {
  private readonly owned: boolean;
  private readonly connection: NamespaceClient;

  /** Uses the given connection (e.g. `worker.connection`) or opens one from the options/environment. */
  constructor(source: NamespaceClient | StandaloneOptions = {}) {
    this.owned = !(source instanceof NamespaceClient);
    this.connection = source instanceof NamespaceClient ? source : new NamespaceClient(source);
  }

  /** Stops every worker claiming the function's jobs. An unknown name is an error, not a silent no-op. */
  async pause(name: string): Promise<void> {
    await this.requireKnown(name);
    await this.connection.redis.hset(this.connection.backend.keysOf(name).config, "paused", "1");
  }

  async resume(name: string): Promise<void> {
    await this.requireKnown(name);
    await this.connection.redis.hdel(this.connection.backend.keysOf(name).config, "paused");
  }

  private async requireKnown(name: string): Promise<void> {
    validateName("function", name);
    const known = await this.connection.backend.knownFunctions();
    if (!known.includes(name)) throw new UnknownTaskError(name, known);
  }

  async state(name: string): Promise<FunctionState> {
    validateName("function", name);
    const keys = this.connection.backend.keysOf(name);
    const redis = this.connection.redis;
    const [config, streamLength, priority, scheduled, active, waiting, dead] = await Promise.all([
      redis.hgetall(keys.config),
      redis.xlen(keys.stream),
      redis.zcard(keys.priority),
      redis.zcard(keys.scheduled),
      redis.zcard(keys.leases),
      redis.zcard(keys.waiting),
      redis.zcard(keys.deadLetter),
    ]);
    return {
      name,
      paused: config.paused === "1",
      // The stream may hold wake markers for priority jobs; counting them is close enough here.
      queued: streamLength + priority,
      scheduled,
      active,
      waiting,
      deadLettered: dead,
      concurrency: config.concurrency ? Number(config.concurrency) : null,
      routingGroup: config.group ?? null,
      rateLimit: config.rateLimit && config.rateWindow ? `${config.rateLimit}/${config.rateWindow}ms` : null,
    };
  }

  async list(): Promise<FunctionState[]> {
    const names = await this.connection.backend.knownFunctions();
    return Promise.all(names.map((name) => this.state(name)));
  }

  async close(): Promise<void> {
    if (this.owned) await this.connection.close();
  }
}
