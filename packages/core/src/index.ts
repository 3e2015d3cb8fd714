export * from "./api-contract/actions.js";
export * from "./api-contract/apis.js";
export * from "./api-contract/bulk-actions.js";
export * from "./api-contract/dashboard.js";
export * from "./api-contract/dead-letters.js";
export * from "./api-contract/functions.js";
export * from "./api-contract/jobs.js";
export * from "./api-contract/page.js";
export * from "./api-contract/queues.js";
export * from "./api-contract/schedules.js";
export * from "./api-contract/stats.js";
export * from "./api-contract/time-windows.js";
export * from "./api-contract/workers.js";
export * from "./api-errors.js";
export * from "./api-events.js";
export * from "./api-latency.js";
export * from "./artifacts.js";
export * from "./backoff.js";
export * from "./config.js";
export * from "./duration.js";
export * from "./errors.js";
export * from "./event-order.js";
export * from "./ids.js";
export * from "./job-status.js";
export * from "./json-payload.js";
export * from "./job.js";
export * from "./keys.js";
export * from "./log-lines.js";
export * from "./names.js";
export * from "./rate.js";
export {
  API_SCOPES,
  ARTIFACT_STORAGES,
  LOG_FORMATS,
  type ApiScope,
  type LogFormat,
  type NamedApiToken,
} from "./server-settings.js";
export * from "./size.js";
export * from "./status-events.js";
