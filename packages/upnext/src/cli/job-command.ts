/**
 * `upnext job show|cancel|retry <id>`: one job known only by its id, from Redis alone (the
 * Jobs admin API). An id that names no job, or a job that cannot be retried, is a call to fix
 * (exit 2); an unreachable Redis is a failure (exit 1).
 */
import type { Command } from "commander";
import type { JobSnapshot } from "@upnext/core";
import { Jobs } from "../sdk/jobs-admin.js";
import {
  addConnectionFlags,
  explainUnreachable,
  standaloneOptions,
  type ConnectionFlags,
} from "./admin-connection.js";
import { CliError, errorCode, messageOf } from "./cli-error.js";

interface JobFlags extends ConnectionFlags {
  readonly json?: boolean;
}

interface CancelFlags extends JobFlags {
  readonly reason?: string;
}

interface RetryFlags extends JobFlags {
  readonly force?: boolean;
}

export interface JobIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

const defaultIo: JobIo = {
  stdout: (line) => {
    process.stdout.write(`${line}\n`);
  },
  stderr: (line) => {
    process.stderr.write(`${line}\n`);
  },
};

/** Errors that mean the id given does not fit the operation: fix the call (exit 2). */
const BAD_ID_CODES = new Set(["job_not_found", "not_retryable", "already_replayed"]);

async function withJobs<T>(flags: ConnectionFlags, work: (jobs: Jobs) => Promise<T>): Promise<T> {
  const jobs = new Jobs(standaloneOptions(flags));
  try {
    return await work(jobs);
  } catch (error) {
    const code = errorCode(error);
    if (code !== undefined && BAD_ID_CODES.has(code))
      throw new CliError(messageOf(error), undefined, { cause: error });
    explainUnreachable(error, flags);
  } finally {
    await jobs.close().catch(() => undefined);
  }
}

function iso(ms: number | null): string {
  return ms === null ? "-" : new Date(ms).toISOString();
}

function block(lines: string[], title: string, value: unknown): void {
  lines.push(`${title}:`);
  for (const line of JSON.stringify(value, null, 2).split("\n")) lines.push(`  ${line}`);
}

export function jobLines(job: JobSnapshot): string[] {
  const lines: string[] = [];
  const field = (name: string, value: string) => lines.push(`${`${name}:`.padEnd(12)}${value}`);
  field("job", job.id);
  field("function", job.function);
  field("status", job.failureReason === null ? job.status : `${job.status} (${job.failureReason})`);
  field("attempt", `${String(job.attempt)} of ${String(job.maxAttempts)}`);
  if (job.progress > 0) field("progress", `${String(Math.round(job.progress * 100))}%`);
  field("created", iso(job.createdAt));
  if (job.scheduledAt !== null) field("scheduled", iso(job.scheduledAt));
  field("started", iso(job.startedAt));
  field("finished", iso(job.finishedAt));
  if (job.workerId !== null) field("worker", job.workerId);
  if (job.parentId !== null) field("parent", job.parentId);
  if (job.rootId !== job.id) field("root", job.rootId);
  if (job.origin) field("origin", JSON.stringify(job.origin));
  if (job.cancelReason !== undefined) field("cancelled", job.cancelReason);
  if (Object.keys(job.tags).length > 0) field("tags", JSON.stringify(job.tags));
  if (Object.keys(job.metadata).length > 0) field("metadata", JSON.stringify(job.metadata));
  if (job.error) field("error", `${job.error.name}: ${job.error.message}`);
  block(lines, "input", job.input);
  if (job.result !== undefined) block(lines, "result", job.result);
  if (job.error?.stack !== undefined) {
    lines.push("stack:");
    for (const line of job.error.stack.split("\n")) lines.push(`  ${line}`);
  }
  return lines;
}

export async function showJob(id: string, flags: JobFlags, io: JobIo = defaultIo): Promise<void> {
  const job = await withJobs(flags, (jobs) => jobs.get(id));
  if (!job) {
    throw new CliError(`Job '${id}' does not exist (it may have expired after its retention period).`);
  }
  if (flags.json === true) io.stdout(JSON.stringify(job, null, 2));
  else for (const line of jobLines(job)) io.stdout(line);
}

export async function cancelJob(id: string, flags: CancelFlags, io: JobIo = defaultIo): Promise<void> {
  const outcome = await withJobs(flags, (jobs) => jobs.cancel(id, flags.reason));
  if (flags.json === true) {
    io.stdout(JSON.stringify({ jobId: id, cancelled: outcome.cancelled, status: outcome.job.status }));
    return;
  }
  // Cancelling a job that already ended changes nothing; saying so is not a failure.
  if (outcome.cancelled) io.stdout(`cancelled ${id}`);
  else io.stderr(`upnext: job ${id} had already ended (${outcome.job.status}); nothing to cancel`);
}

export async function retryJob(id: string, flags: RetryFlags, io: JobIo = defaultIo): Promise<void> {
  const outcome = await withJobs(flags, (jobs) => jobs.retry(id, { force: flags.force === true }));
  if (flags.json === true) {
    io.stdout(
      JSON.stringify({
        jobId: id,
        retriedAs: outcome.job.id,
        function: outcome.job.functionName,
        deadLettered: outcome.deadLettered,
      }),
    );
    return;
  }
  io.stderr(`upnext: retried ${id} as a new job of '${outcome.job.functionName}'`);
  io.stdout(outcome.job.id);
}

export function registerJobCommand(program: Command): void {
  const job = program.command("job").description("show, cancel or retry one job by its id");
  addConnectionFlags(
    job
      .command("show")
      .description("the job's status, timing, input, result or error")
      .argument("<id>", "job id"),
  )
    .option("--json", "print the job as JSON")
    .action(async (id: string, flags: JobFlags) => {
      await showJob(id, flags);
    });
  addConnectionFlags(
    job
      .command("cancel")
      .description("cancel a waiting, queued or running job (a running handler sees its signal abort)")
      .argument("<id>", "job id"),
  )
    .option("--reason <text>", "why, stored on the job")
    .option("--json", "print the outcome as JSON")
    .action(async (id: string, flags: CancelFlags) => {
      await cancelJob(id, flags);
    });
  addConnectionFlags(
    job
      .command("retry")
      .description("run a failed or cancelled job again as a new job; prints the new id")
      .argument("<id>", "job id"),
  )
    .option("--force", "retry even if the job was retried (or replayed) before")
    .option("--json", "print the outcome as JSON")
    .action(async (id: string, flags: RetryFlags) => {
      await retryJob(id, flags);
    });
}
