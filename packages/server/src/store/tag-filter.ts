/**
 * How the jobs list applies `tag=key:value` filters. A tag few jobs carry is best found from
 * job_tags (its jobs by primary key, then sorted: cost grows with the tag's jobs); a tag many
 * jobs carry is best checked while walking the list's index newest first (cost grows with the
 * rows walked to fill a page). PostgreSQL's estimate picks the walk for tags on a fraction of a
 * percent of the jobs, where it reads tens of thousands of rows per page; so the list counts
 * each tag's jobs first (stopping at FEW_TAGGED_JOBS) and has the rarest tag drive the query
 * when it is rare enough.
 */
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from "kysely";
import type { HistorySchema } from "./schema.js";

/** `tag=key:value`: the jobs carrying that tag (parsed by http/query-params.ts). */
export interface TagFilter {
  readonly key: string;
  readonly value: string;
}

/** A tag carried by at most this many jobs drives the query. */
export const FEW_TAGGED_JOBS = 10_000;
/**
 * A LIMIT that never cuts anything: a subquery with a LIMIT is planned on its own, so
 * PostgreSQL cannot turn the driving tag back into a probe per walked row.
 */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/** How many jobs carry the tag, counting no further than `cap + 1` (one short index range). */
async function countTagged(db: Kysely<HistorySchema>, tag: TagFilter, cap: number): Promise<number> {
  const row = await db
    .selectFrom(
      db
        .selectFrom("job_tags")
        .select(sql.lit(1).as("one"))
        .where("key", "=", tag.key)
        .where("value", "=", tag.value)
        .limit(cap + 1)
        .as("tagged"),
    )
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .executeTakeFirst();
  return row?.count ?? 0;
}

/** The rarest of the tags when at most FEW_TAGGED_JOBS jobs carry it, else undefined (walk the list). */
export async function drivingTag(
  db: Kysely<HistorySchema>,
  tags: readonly TagFilter[] | undefined,
): Promise<TagFilter | undefined> {
  let rarest: { tag: TagFilter; count: number } | undefined;
  for (const tag of tags ?? []) {
    const count = await countTagged(db, tag, FEW_TAGGED_JOBS);
    if (count <= FEW_TAGGED_JOBS && (rarest === undefined || count < rarest.count)) rarest = { tag, count };
  }
  return rarest?.tag;
}

/** The condition that the job carries the tag: a lookup list when it drives, else a probe per row. */
export function tagCondition(
  eb: ExpressionBuilder<HistorySchema, "jobs">,
  tag: TagFilter,
  drives: boolean,
): Expression<SqlBool> {
  const tagged = eb
    .selectFrom("job_tags")
    .where("job_tags.key", "=", tag.key)
    .where("job_tags.value", "=", tag.value);
  return drives
    ? eb("jobs.id", "in", tagged.select("job_tags.job_id").limit(UNBOUNDED))
    : eb.exists(tagged.select(sql.lit(1).as("one")).whereRef("job_tags.job_id", "=", "jobs.id"));
}
