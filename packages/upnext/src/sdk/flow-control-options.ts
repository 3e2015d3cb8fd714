/**
 * Cluster-wide flow control of a task: a concurrency cap, a routing group sharing one cap with
 * other tasks, and a rate limit (at dequeue, or at enqueue with "reject" or "delay"). Validated
 * at definition time like every other option.
 */
import { InvalidOptionError, parseRate, validateName } from "@upnext/core";
import type { FlowControl, RateKeyFunction } from "../runtime/execution/task-definition.js";

export interface RateLimitOptions<I = unknown> {
  /** "100/s", "10/m", "5/10s", "1000/h". */
  readonly limit: string;
  /** Limits each key separately (e.g. per tenant): computed from the input at submit time. */
  readonly key?: RateKeyFunction<I>;
  /**
   * Enforce at submit time instead of when workers claim: "reject" throws RateLimitedError with
   * the time of the next free slot; "delay" schedules the job at its slot.
   */
  readonly onEnqueue?: "reject" | "delay";
}

export interface FlowControlOptions<I = unknown> {
  /** Most jobs of this task running at once across all workers. */
  readonly concurrency?: number;
  /** Routing group: tasks of one group share `groupMaxConcurrency` (e.g. one external API). */
  readonly routingGroup?: string;
  /** Most jobs of the whole routing group running at once across all workers. */
  readonly groupMaxConcurrency?: number;
  readonly rateLimit?: string | RateLimitOptions<I>;
}

export const FLOW_CONTROL_OPTION_NAMES = ["concurrency", "routingGroup", "groupMaxConcurrency", "rateLimit"];

const RATE_OPTION_NAMES = new Set(["limit", "key", "onEnqueue"]);

function positive(option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(option, value, "use a whole number >= 1");
  }
  return value;
}

export function resolveFlowControl(options: FlowControlOptions): FlowControl {
  const flow: { -readonly [K in keyof FlowControl]: FlowControl[K] } = {};
  if (options.concurrency !== undefined) flow.concurrency = positive("concurrency", options.concurrency);
  if (options.routingGroup !== undefined || options.groupMaxConcurrency !== undefined) {
    if (options.routingGroup === undefined) {
      throw new InvalidOptionError(
        "routingGroup",
        undefined,
        "groupMaxConcurrency needs a routingGroup to apply to",
      );
    }
    flow.group = {
      name: validateName("routingGroup", options.routingGroup),
      max:
        options.groupMaxConcurrency === undefined
          ? undefined
          : positive("groupMaxConcurrency", options.groupMaxConcurrency),
    };
  }
  const rate = options.rateLimit;
  if (rate !== undefined) {
    const spec = typeof rate === "string" ? { limit: rate } : rate;
    if (typeof spec !== "object") {
      throw new InvalidOptionError("rateLimit", rate, 'give "100/m" or { limit: "100/m", key?, onEnqueue? }');
    }
    for (const key of Object.keys(spec)) {
      if (!RATE_OPTION_NAMES.has(key)) {
        throw new InvalidOptionError(
          `rateLimit.${key}`,
          (spec as unknown as Record<string, unknown>)[key],
          "known options are limit, key, onEnqueue",
        );
      }
    }
    const parsed = parseRate(spec.limit, "rateLimit.limit");
    if (spec.key !== undefined && typeof spec.key !== "function") {
      throw new InvalidOptionError(
        "rateLimit.key",
        spec.key,
        "give a function of the input returning a string",
      );
    }
    const onEnqueue = spec.onEnqueue as string | undefined;
    if (onEnqueue !== undefined && onEnqueue !== "reject" && onEnqueue !== "delay") {
      throw new InvalidOptionError("rateLimit.onEnqueue", onEnqueue, 'use "reject" or "delay"');
    }
    flow.rate = {
      limit: parsed.limit,
      windowMs: parsed.windowMs,
      text: spec.limit,
      key: spec.key,
      onEnqueue: onEnqueue,
    };
  }
  return flow;
}

/** The rate key of one input, validated: it becomes part of a Redis key. */
export function rateKeyOf(flow: FlowControl, input: unknown): string | null {
  const keyOf = flow.rate?.key;
  if (!keyOf) return null;
  const key = keyOf(input);
  if (typeof key !== "string" || key.length === 0 || key.length > 200) {
    throw new InvalidOptionError(
      "rateLimit.key",
      key,
      "the key function must return a non-empty string of at most 200 characters",
    );
  }
  return key;
}
