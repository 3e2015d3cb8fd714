/**
 * How far a bulk action has got, kept in Redis under the caller's operation id so any replica
 * can answer GET /api/v1/bulk-operations/:id while the action's own request is still running.
 * It expires BULK_PROGRESS_TTL_MS after the last update.
 */
import type { BulkAction, BulkProgress } from "@upnext/core";
import type { ServerDependencies } from "../connections/server-dependencies.js";

export const BULK_PROGRESS_TTL_MS = 10 * 60_000;

export interface ProgressRecorder {
  update(done: number, total: number, finished?: boolean): Promise<void>;
}

/** Records progress for `operationId`, or does nothing when the caller gave none. */
export function progressRecorder(
  deps: ServerDependencies,
  action: BulkAction,
  operationId: string | undefined,
): ProgressRecorder {
  if (operationId === undefined) return { update: () => Promise.resolve() };
  const key = deps.keys.bulkProgress(operationId);
  return {
    update: async (done, total, finished = false) => {
      // Progress is a courtesy: a failed write must not fail the action itself.
      await deps
        .withRedis((redis) =>
          redis
            .multi()
            .hset(key, { action, done, total, finished: finished ? 1 : 0 })
            .pexpire(key, BULK_PROGRESS_TTL_MS)
            .exec(),
        )
        .catch(() => undefined);
    },
  };
}

export async function readProgress(
  deps: ServerDependencies,
  operationId: string,
): Promise<BulkProgress | null> {
  const hash = await deps.withRedis((redis) => redis.hgetall(deps.keys.bulkProgress(operationId)));
  if (hash.action === undefined) return null;
  return {
    operationId,
    action: hash.action as BulkAction,
    done: Number(hash.done ?? 0),
    total: Number(hash.total ?? 0),
    finished: hash.finished === "1",
  };
}
