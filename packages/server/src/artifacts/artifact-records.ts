/**
 * Artifact metadata in the history database. An artifact whose job is in `jobs` lives in
 * `artifacts` (a foreign key ties it to the job); one whose job has not been ingested yet lives in
 * `pending_artifacts` with the same columns and is moved across, keeping its id, when the job
 * arrives. The content is in ArtifactStorage under `storage_key`, which never leaves the server.
 */
import type { ArtifactInfo } from "@upnext/core";
import { type Kysely, sql } from "kysely";
import { type Cursor, keysetCondition, queryOrder } from "../store/keyset.js";
import type { ArtifactRow, HistorySchema } from "../store/schema.js";

export interface ArtifactRecord extends ArtifactRow {
  readonly pending: boolean;
}

/** Ids per IN list: far under both dialects' bound-parameter limits. */
export const ARTIFACT_ID_BATCH = 500;

const COLUMNS = [
  "id",
  "job_id",
  "name",
  "content_type",
  "size_bytes",
  "sha256",
  "storage_key",
  "created_at",
] as const;

export function toArtifactInfo(record: ArtifactRecord): ArtifactInfo {
  return {
    id: record.id,
    jobId: record.job_id,
    name: record.name,
    contentType: record.content_type,
    size: record.size_bytes,
    sha256: record.sha256,
    createdAt: new Date(record.created_at).toISOString(),
    pending: record.pending,
  };
}

function chunks<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

/** PostgreSQL 23503 or SQLite's foreign-key constraint: the job row is gone (or not there yet). */
export function isForeignKeyViolation(error: unknown): boolean {
  return codeOf(error) === "23503" || codeOf(error) === "SQLITE_CONSTRAINT_FOREIGNKEY";
}

/** PostgreSQL 23505 or SQLite's primary-key constraint: an artifact with this id exists. */
export function isDuplicateKey(error: unknown): boolean {
  return ["23505", "SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE"].includes(codeOf(error));
}

export async function jobExists(db: Kysely<HistorySchema>, jobId: string): Promise<boolean> {
  const row = await db.selectFrom("jobs").select("id").where("id", "=", jobId).executeTakeFirst();
  return row !== undefined;
}

/** One statement over both tables: a promotion committing between two lookups cannot hide the row. */
export async function findArtifact(
  db: Kysely<HistorySchema>,
  id: string,
): Promise<ArtifactRecord | undefined> {
  const row = await db
    .selectFrom("artifacts")
    .select([...COLUMNS, sql<number>`0`.as("pending")])
    .where("id", "=", id)
    .unionAll(
      db
        .selectFrom("pending_artifacts")
        .select([...COLUMNS, sql<number>`1`.as("pending")])
        .where("id", "=", id),
    )
    .executeTakeFirst();
  return row ? { ...row, pending: row.pending === 1 } : undefined;
}

/**
 * Records an uploaded artifact: in `artifacts` when its job is in the history, else in
 * `pending_artifacts`. A pending row is promoted at once when the job turns out to have arrived
 * meanwhile, so an ingest that committed the job between the two steps cannot strand it.
 * Throws the database's duplicate-key error when the id is taken.
 */
export async function insertArtifact(db: Kysely<HistorySchema>, row: ArtifactRow): Promise<ArtifactRecord> {
  if (await jobExists(db, row.job_id)) {
    try {
      await db.insertInto("artifacts").values(row).execute();
      return { ...row, pending: false };
    } catch (error) {
      // The job was deleted (retention) between the check and the insert: keep it as pending.
      if (!isForeignKeyViolation(error)) throw error;
    }
  }
  await db.insertInto("pending_artifacts").values(row).execute();
  const promoted = await promotePendingArtifacts(db, [row.job_id]);
  return { ...row, pending: promoted === 0 ? !(await isPromoted(db, row.id)) : false };
}

async function isPromoted(db: Kysely<HistorySchema>, id: string): Promise<boolean> {
  const row = await db.selectFrom("artifacts").select("id").where("id", "=", id).executeTakeFirst();
  return row !== undefined;
}

/**
 * Moves the pending artifacts of these jobs that are now in `jobs` into `artifacts`, keeping
 * their ids. Safe to run concurrently (ingest hook, sweep, upload): a row already moved is
 * skipped. Returns how many rows this call moved.
 */
export async function promotePendingArtifacts(
  db: Kysely<HistorySchema>,
  jobIds: readonly string[],
): Promise<number> {
  let moved = 0;
  for (const batch of chunks([...new Set(jobIds)], ARTIFACT_ID_BATCH)) {
    moved += await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto("artifacts")
        .columns(COLUMNS)
        .expression((eb) =>
          eb
            .selectFrom("pending_artifacts as p")
            .select(COLUMNS.map((column) => `p.${column}` as const))
            .where("p.job_id", "in", batch)
            .where((inner) =>
              inner.exists(inner.selectFrom("jobs").select("jobs.id").whereRef("jobs.id", "=", "p.job_id")),
            ),
        )
        .onConflict((conflict) => conflict.column("id").doNothing())
        .executeTakeFirst();
      await trx
        .deleteFrom("pending_artifacts")
        .where("job_id", "in", batch)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom("artifacts")
              .select("artifacts.id")
              .whereRef("artifacts.id", "=", "pending_artifacts.id"),
          ),
        )
        .execute();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0);
    });
  }
  return moved;
}

/**
 * The sweep behind the ingest hook: promotes pending artifacts whose job has arrived, `batch`
 * jobs at a time, at most `maxBatches` times per call. Returns how many rows it moved.
 */
export async function promoteArrivedPendingArtifacts(
  db: Kysely<HistorySchema>,
  batch: number,
  maxBatches: number,
): Promise<number> {
  let moved = 0;
  for (let round = 0; round < maxBatches; round++) {
    const rows = await db
      .selectFrom("pending_artifacts as p")
      .select("p.job_id")
      .distinct()
      .where((eb) => eb.exists(eb.selectFrom("jobs").select("jobs.id").whereRef("jobs.id", "=", "p.job_id")))
      .limit(batch)
      .execute();
    if (rows.length === 0) break;
    moved += await promotePendingArtifacts(
      db,
      rows.map((row) => row.job_id),
    );
    if (rows.length < batch) break;
  }
  return moved;
}

/** One page of a job's artifacts, promoted and pending together, newest first. */
export async function listArtifacts(
  db: Kysely<HistorySchema>,
  jobId: string,
  limit: number,
  cursor: Cursor | undefined,
): Promise<ArtifactRecord[]> {
  const promoted = db
    .selectFrom("artifacts")
    .select([...COLUMNS, sql<number>`0`.as("pending")])
    .where("job_id", "=", jobId);
  const pending = db
    .selectFrom("pending_artifacts")
    .select([...COLUMNS, sql<number>`1`.as("pending")])
    .where("job_id", "=", jobId);
  const order = queryOrder(cursor);
  let query = db.selectFrom(promoted.unionAll(pending).as("a")).selectAll();
  if (cursor) query = query.where(keysetCondition(["created_at", "id"], cursor));
  const rows = await query
    .orderBy("created_at", order)
    .orderBy("id", order)
    .limit(limit + 1)
    .execute();
  return rows.map((row) => ({ ...row, pending: row.pending === 1 }));
}

/**
 * Deletes an artifact's row (promoted or pending); returns it, or undefined when there was none.
 * Pending first: promotion only moves rows from there to `artifacts`, so a racing one is still found.
 */
export async function deleteArtifactRow(
  db: Kysely<HistorySchema>,
  id: string,
): Promise<ArtifactRecord | undefined> {
  const pending = await db
    .deleteFrom("pending_artifacts")
    .where("id", "=", id)
    .returning(COLUMNS)
    .executeTakeFirst();
  if (pending) return { ...pending, pending: true };
  const promoted = await db
    .deleteFrom("artifacts")
    .where("id", "=", id)
    .returning(COLUMNS)
    .executeTakeFirst();
  return promoted ? { ...promoted, pending: false } : undefined;
}

/** Deletes the artifact rows of these jobs (promoted and pending); returns their storage keys. */
export async function deleteArtifactRowsOfJobs(
  db: Kysely<HistorySchema>,
  jobIds: readonly string[],
): Promise<string[]> {
  const keys: string[] = [];
  for (const batch of chunks([...new Set(jobIds)], ARTIFACT_ID_BATCH)) {
    // Pending first, as in deleteArtifactRow: a promotion racing this cannot leave a row behind.
    const pending = await db
      .deleteFrom("pending_artifacts")
      .where("job_id", "in", batch)
      .returning("storage_key")
      .execute();
    const promoted = await db
      .deleteFrom("artifacts")
      .where("job_id", "in", batch)
      .returning("storage_key")
      .execute();
    for (const row of [...promoted, ...pending]) keys.push(row.storage_key);
  }
  return keys;
}

/** Deletes up to `limit` pending rows created before `cutoff`; returns them. */
export async function deletePendingRowsBefore(
  db: Kysely<HistorySchema>,
  cutoff: number,
  limit: number,
): Promise<ArtifactRecord[]> {
  const rows = await db
    .selectFrom("pending_artifacts")
    .select(COLUMNS)
    .where("created_at", "<", cutoff)
    .orderBy("created_at")
    .limit(limit)
    .execute();
  if (rows.length === 0) return [];
  const deleted = await db
    .deleteFrom("pending_artifacts")
    .where(
      "id",
      "in",
      rows.map((row) => row.id),
    )
    .returning(COLUMNS)
    .execute();
  return deleted.map((row) => ({ ...row, pending: true }));
}
