/**
 * The job state machine (docs/architecture.md, "Where each rule lives"). This module is the single authority on which
 * transitions are legal: the Redis scripts receive the same table (see `transitionTableLua`),
 * so TypeScript and Lua can never disagree.
 */

export const JOB_STATUSES = [
  "waiting",
  "scheduled",
  "queued",
  "active",
  "retrying",
  "complete",
  "failed",
  "cancelled",
] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ["complete", "failed", "cancelled"];

export const FAILURE_REASONS = [
  "exception",
  "timeout",
  "cancelled",
  "lost",
  "invalid_input",
  "unknown_function",
  // A DAG parent failed or was cancelled and the job's onParentFailure policy is "fail".
  "dependency_failed",
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

/** The state a brand-new job may be created in. */
export const INITIAL_STATUSES: readonly JobStatus[] = ["waiting", "scheduled", "queued"];

/**
 * Every legal `from -> to` move. Terminal states have no way out: a replay of a failed job
 * is a new job linked to the old one, never a rewrite of it.
 */
export const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  // DAG: parents not done yet. Resolved into a runnable state, or settled by the parent policy.
  waiting: ["queued", "scheduled", "failed", "cancelled"],
  scheduled: ["queued", "cancelled"],
  // queued -> scheduled: a deferral (rate limit, paused function) that must not run yet.
  queued: ["active", "scheduled", "cancelled", "failed"],
  // active -> queued: handed back on shutdown, or re-delivered after a lost lease.
  active: ["complete", "failed", "cancelled", "retrying", "queued"],
  retrying: ["queued", "cancelled"],
  complete: [],
  failed: [],
  cancelled: [],
};

/** The statuses a job can be cancelled from: every status with a legal move to `cancelled`. */
export const CANCELLABLE_STATUSES: readonly JobStatus[] = JOB_STATUSES.filter((status) =>
  TRANSITIONS[status].includes("cancelled"),
);

export function isCancellable(status: JobStatus): boolean {
  return CANCELLABLE_STATUSES.includes(status);
}

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === "string" && (JOB_STATUSES as readonly string[]).includes(value);
}

export function isFailureReason(value: unknown): value is FailureReason {
  return typeof value === "string" && (FAILURE_REASONS as readonly string[]).includes(value);
}

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export class IllegalTransitionError extends Error {
  readonly code = "illegal_transition";
  constructor(
    readonly from: JobStatus,
    readonly to: JobStatus,
  ) {
    super(`A job cannot move from '${from}' to '${to}'; legal next states: ${describeNext(from)}.`);
    this.name = "IllegalTransitionError";
  }
}

export function assertTransition(from: JobStatus, to: JobStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

function describeNext(from: JobStatus): string {
  const next = TRANSITIONS[from];
  return next.length === 0 ? "none (terminal)" : next.join(", ");
}

/**
 * The transition table as a Lua chunk, prepended to every Redis script so the scripts'
 * compare-and-set checks use exactly this module's rules.
 */
export function transitionTableLua(): string {
  const rows = JOB_STATUSES.map((from) => {
    const targets = TRANSITIONS[from].map((to) => `["${to}"]=true`).join(",");
    return `["${from}"]={${targets}}`;
  });
  return [
    `local UPNEXT_TRANSITIONS={${rows.join(",")}}`,
    "local function upnext_can(from, to) local t = UPNEXT_TRANSITIONS[from]; return t ~= nil and t[to] == true end",
  ].join("\n");
}
