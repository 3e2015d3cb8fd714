/**
 * Readiness of a worker, as `/ready` reports it: started, not shutting down, Redis answering,
 * and the registry record refreshed within its lifetime. Every check is reported, so a probe's
 * body says which one failed.
 */
import type { StoreHealth } from "../../backend/store-health.js";

export interface ReadinessCheck {
  readonly ok: boolean;
  readonly detail: string;
}

export type ReadinessCheckName = "started" | "shutdown" | "redis" | "registration";

export interface Readiness {
  readonly ready: boolean;
  /** Names of the checks that failed. */
  readonly failed: readonly ReadinessCheckName[];
  readonly checks: Readonly<Record<ReadinessCheckName, ReadinessCheck>>;
}

export interface ReadinessInputs {
  /** The queue store (the check keeps its published name, `redis`). */
  readonly store: StoreHealth | undefined;
  readonly started: boolean;
  readonly stopping: boolean;
  /** Last successful heartbeat (epoch ms, 0: none) and how long the record lives without one. */
  readonly lastBeatAt: number;
  readonly recordTtlMs: number;
  readonly pingTimeoutMs?: number;
  readonly now?: number;
}

async function checkStore(store: StoreHealth | undefined, timeoutMs: number): Promise<ReadinessCheck> {
  if (!store) return { ok: false, detail: "no connection" };
  return store.check(timeoutMs);
}

export async function checkReadiness(inputs: ReadinessInputs): Promise<Readiness> {
  const now = inputs.now ?? Date.now();
  const started: ReadinessCheck = inputs.started
    ? { ok: true, detail: "running" }
    : { ok: false, detail: "the worker is not started" };
  const shutdown: ReadinessCheck = inputs.stopping
    ? { ok: false, detail: "the worker is shutting down" }
    : { ok: true, detail: "not shutting down" };
  const redis = inputs.started
    ? await checkStore(inputs.store, inputs.pingTimeoutMs ?? 1_000)
    : { ok: false, detail: "not connected: the worker is not started" };
  const age = now - inputs.lastBeatAt;
  const registration: ReadinessCheck =
    inputs.lastBeatAt === 0
      ? { ok: false, detail: "never registered" }
      : age <= inputs.recordTtlMs
        ? { ok: true, detail: `heartbeat ${age}ms ago` }
        : {
            ok: false,
            detail: `last heartbeat ${age}ms ago; the record expires after ${inputs.recordTtlMs}ms`,
          };
  const checks = { started, shutdown, redis, registration };
  const failed = (Object.keys(checks) as ReadinessCheckName[]).filter((name) => !checks[name].ok);
  return { ready: failed.length === 0, failed, checks };
}
