/**
 * What happens to artifacts besides uploads and deletes: pending ones are promoted when their job
 * arrives (the ingest hook, with a periodic sweep behind it), pending ones whose job never arrived
 * are collected after the history retention, and the files of jobs that retention deletes are
 * removed with them. Every function is safe to run on several server replicas at once.
 */
import type { Kysely } from "kysely";
import type { FastifyBaseLogger } from "fastify";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { PeriodicTask } from "../lib/periodic-task.js";
import type { HistorySchema } from "../store/schema.js";
import {
  ARTIFACT_ID_BATCH,
  deleteArtifactRowsOfJobs,
  deletePendingRowsBefore,
  promoteArrivedPendingArtifacts,
  promotePendingArtifacts,
} from "./artifact-records.js";
import type { ArtifactStorage } from "./artifact-storage.js";
import { LocalDirectoryStorage } from "./local-directory-storage.js";

export { promotePendingArtifacts };

/** Jobs whose pending artifacts one sweep round promotes. */
export const PROMOTION_SWEEP_BATCH = 500;
/** Rounds per sweep: a backlog larger than batch × rounds is finished by the next sweeps. */
export const PROMOTION_SWEEP_MAX_ROUNDS = 20;
/** The sweep is a fallback for the ingest hook, so it can be slow. */
export const PROMOTION_SWEEP_INTERVAL_MS = 60_000;
/** Most orphaned pending rows one collection removes (the next run takes the rest). */
export const ORPHAN_COLLECTION_MAX = 10_000;

export type StorageErrorHandler = (error: unknown, storageKey: string) => void;

async function deleteObjects(
  storage: ArtifactStorage,
  keys: readonly string[],
  onError?: StorageErrorHandler,
): Promise<number> {
  let deleted = 0;
  for (const key of keys) {
    try {
      await storage.delete(key);
      deleted += 1;
    } catch (error) {
      onError?.(error, key);
    }
  }
  return deleted;
}

/**
 * Deletes pending artifacts (rows, then files) created more than `olderThanMs` ago whose job
 * never reached the history. Those whose job did arrive are promoted first, not deleted.
 * Returns how many were deleted.
 */
export async function collectOrphanedPendingArtifacts(
  db: Kysely<HistorySchema>,
  storage: ArtifactStorage,
  olderThanMs: number,
  options: { readonly now?: number; readonly onStorageError?: StorageErrorHandler } = {},
): Promise<number> {
  await promoteArrivedPendingArtifacts(db, PROMOTION_SWEEP_BATCH, PROMOTION_SWEEP_MAX_ROUNDS);
  const cutoff = (options.now ?? Date.now()) - olderThanMs;
  let collected = 0;
  while (collected < ORPHAN_COLLECTION_MAX) {
    const rows = await deletePendingRowsBefore(db, cutoff, ARTIFACT_ID_BATCH);
    if (rows.length === 0) break;
    await deleteObjects(
      storage,
      rows.map((row) => row.storage_key),
      options.onStorageError,
    );
    collected += rows.length;
  }
  return collected;
}

/**
 * For retention, before it deletes these jobs: deletes their artifacts' rows (promoted and
 * pending), then their files. Returns how many files were deleted.
 */
export async function deleteArtifactFiles(
  db: Kysely<HistorySchema>,
  storage: ArtifactStorage,
  jobIds: readonly string[],
  onStorageError?: StorageErrorHandler,
): Promise<number> {
  if (jobIds.length === 0) return 0;
  const keys = await deleteArtifactRowsOfJobs(db, jobIds);
  return deleteObjects(storage, keys, onStorageError);
}

/** What ingest and retention call so artifacts follow their jobs (see startServer). */
export interface ArtifactServiceHooks {
  /** For the ingester: promotes the pending artifacts of the jobs a batch inserted. */
  readonly onJobsInserted: (jobIds: string[]) => Promise<void>;
  /** For retention: removes the artifacts (rows, then files) of jobs about to be deleted. */
  readonly beforeDeleteJobs: (jobIds: string[]) => Promise<void>;
  /** For retention: collects pending artifacts created before `cutoff` whose job never arrived. */
  readonly collectOrphanedArtifacts: (cutoff: number) => Promise<void>;
}

export function artifactServiceHooks(
  deps: ServerDependencies,
  storage: ArtifactStorage,
  logger: FastifyBaseLogger,
): ArtifactServiceHooks {
  const onStorageError: StorageErrorHandler = (error, key) => {
    logger.warn({ err: error, storageKey: key }, "could not delete an artifact's file");
  };
  return {
    onJobsInserted: async (jobIds) => {
      await deps.withDatabase((db) => promotePendingArtifacts(db, jobIds));
    },
    beforeDeleteJobs: async (jobIds) => {
      await deps.withDatabase((db) => deleteArtifactFiles(db, storage, jobIds, onStorageError));
    },
    collectOrphanedArtifacts: async (cutoff) => {
      const collected = await deps.withDatabase((db) =>
        collectOrphanedPendingArtifacts(db, storage, 0, { now: cutoff, onStorageError }),
      );
      if (collected > 0) logger.info({ collected }, "orphaned pending artifacts deleted");
    },
  };
}

/**
 * The artifact sweep every replica runs: the promotion sweep (behind the ingest hook) and
 * the removal of partial files crashed uploads left on this replica's disk. Pending artifacts
 * whose job never arrived are retention's work (its `collectOrphanedArtifacts` hook, run by one
 * replica at a time at the retention cutoff), not repeated here.
 */
export class ArtifactSweep {
  private readonly promotion: PeriodicTask<void>;
  private readonly partialCleanup: PeriodicTask<void>;

  constructor(
    private readonly deps: ServerDependencies,
    private readonly storage: ArtifactStorage,
    private readonly logger: FastifyBaseLogger,
    promotionIntervalMs = PROMOTION_SWEEP_INTERVAL_MS,
  ) {
    const onError = (error: unknown): void => {
      this.logger.warn({ err: error }, "artifact housekeeping failed; it runs again on its next tick");
    };
    this.promotion = new PeriodicTask({ run: () => this.sweep(), intervalMs: promotionIntervalMs, onError });
    this.partialCleanup = new PeriodicTask({
      run: () => this.removeStalePartials(),
      intervalMs: deps.config.retentionInterval,
      onError,
    });
  }

  start(): void {
    this.promotion.start();
    this.partialCleanup.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.promotion.stop(), this.partialCleanup.stop()]);
  }

  async sweep(): Promise<void> {
    const moved = await this.deps.withDatabase((db) =>
      promoteArrivedPendingArtifacts(db, PROMOTION_SWEEP_BATCH, PROMOTION_SWEEP_MAX_ROUNDS),
    );
    if (moved > 0) this.logger.info({ promoted: moved }, "pending artifacts promoted by the sweep");
  }

  async removeStalePartials(): Promise<void> {
    if (!(this.storage instanceof LocalDirectoryStorage)) return;
    const partials = await this.storage.removeStalePartials();
    if (partials > 0) this.logger.info({ partials }, "partial uploads of crashed processes removed");
  }
}
