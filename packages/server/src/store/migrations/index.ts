/**
 * Every migration, in order. Append only: a shipped migration is never edited, renamed or
 * removed, because databases in the field have already run it (docs/decisions/0012).
 */
import type { Migration } from "kysely";
import * as jobs from "./0001-jobs.js";
import * as artifacts from "./0002-artifacts.js";
import * as rollups from "./0003-rollups.js";
import * as progressAt from "./0004-progress-at.js";
import * as readIndexes from "./0005-read-indexes.js";
import * as jobIdPrefix from "./0006-job-id-prefix.js";
import * as apis from "./0007-apis.js";
import * as minuteRollups from "./0008-minute-rollups.js";

export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001-jobs": jobs,
  "0002-artifacts": artifacts,
  "0003-rollups": rollups,
  "0004-progress-at": progressAt,
  "0005-read-indexes": readIndexes,
  "0006-job-id-prefix": jobIdPrefix,
  "0007-apis": apis,
  "0008-minute-rollups": minuteRollups,
};
