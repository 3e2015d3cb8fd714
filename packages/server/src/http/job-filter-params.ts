/**
 * The jobs-list filter as parameters: GET /api/v1/jobs takes them in its query, the bulk job
 * actions in their body's `filter`, with the same rules and messages.
 */
import { JOB_KINDS, JOB_STATUSES } from "@upnext/core";
import type { JobListFilter } from "../store/job-queries.js";
import {
  functionNameSchema,
  jobIdSchema,
  listSchema,
  oneOfSchema,
  tagListSchema,
  timeSchema,
  workerIdSchema,
} from "./query-params.js";
import { badRequest } from "./api-error.js";

export const jobFilterFields = {
  function: listSchema(functionNameSchema())
    .optional()
    .describe("Function name; repeat or comma-separate for several."),
  status: listSchema(oneOfSchema("job status", JOB_STATUSES))
    .optional()
    .describe(`One or more of ${JOB_STATUSES.join(", ")}.`),
  kind: listSchema(oneOfSchema("job kind", JOB_KINDS))
    .optional()
    .describe(`One or more of ${JOB_KINDS.join(", ")}.`),
  from: timeSchema().optional().describe("Created at or after: ISO-8601 (Z or offset) or epoch ms."),
  to: timeSchema().optional().describe("Created before: ISO-8601 (Z or offset) or epoch ms."),
  tag: tagListSchema().optional().describe("key:value; repeat for jobs carrying every one of them."),
  parentId: jobIdSchema().optional(),
  rootId: jobIdSchema().optional(),
  workerId: workerIdSchema().optional(),
};

type ParsedFilterFields = Partial<{
  function: string[];
  status: JobListFilter["statuses"];
  kind: JobListFilter["kinds"];
  from: number;
  to: number;
  tag: JobListFilter["tags"];
  parentId: string;
  rootId: string;
  workerId: string;
}>;

/** The parsed parameters as the store's filter; `from` must be earlier than `to`. */
export function jobListFilterOf(fields: ParsedFilterFields): JobListFilter {
  const { function: functions, status, kind, tag, from, to, parentId, rootId, workerId } = fields;
  if (from !== undefined && to !== undefined && from >= to) {
    throw badRequest("`from` must be earlier than `to`.", { from, to });
  }
  return { functions, statuses: status, kinds: kind, tags: tag, from, to, parentId, rootId, workerId };
}
