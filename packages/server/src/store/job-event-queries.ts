/**
 * Reads of a job's events (its timeline, logs, progress, checkpoints, metrics), oldest first, as
 * keyset pages on (at, id) over the (job_id, at, id) index.
 */
import type { JobEventType } from "@upnext/core";
import type { Kysely } from "kysely";
import { type ListOrder, keysetCondition, queryOrder, toPage } from "./keyset.js";
import type { KeysetPage, PageRequest } from "./job-queries.js";
import type { HistorySchema, JobEventRow } from "./schema.js";

const EVENT_KEY = ["at", "id"] as const;
const EVENT_ORDER: ListOrder = "asc";

export function eventKeyOf(row: Pick<JobEventRow, "at" | "id">): [number, string] {
  return [row.at, row.id];
}

export async function listJobEvents(
  db: Kysely<HistorySchema>,
  jobId: string,
  types: readonly JobEventType[] | undefined,
  page: PageRequest,
): Promise<KeysetPage<JobEventRow>> {
  const { limit, cursor } = page;
  const direction = queryOrder(cursor, EVENT_ORDER);
  let query = db.selectFrom("job_events").selectAll().where("job_id", "=", jobId);
  if (types?.length === 1) query = query.where("type", "=", types[0] ?? "log");
  else if (types && types.length > 1) query = query.where("type", "in", types);
  if (cursor) query = query.where(keysetCondition(EVENT_KEY, cursor, EVENT_ORDER));
  const rows = await query
    .orderBy("at", direction)
    .orderBy("id", direction)
    .limit(limit + 1)
    .execute();
  return toPage(rows, { limit, cursor, keyOf: eventKeyOf });
}
