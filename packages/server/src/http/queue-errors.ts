/**
 * Calls into the SDK's admin objects: through `deps.withRedis` (an outage is a 503), with the
 * SDK's typed errors turned into the API's envelope (a bad option is a 400 naming it, an unknown
 * job or schedule a 404, a state that forbids the action a 409 naming the state).
 */
import { InvalidInputError, InvalidOptionError, JobNotFoundError, UnknownTaskError } from "@upnext/core";
import { AlreadyReplayedError, NotDeadLetteredError, NotRetryableError, ScheduleNotFoundError } from "upnext";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { ApiError, badRequest, conflict } from "./api-error.js";

/** The API error for an SDK error, or the error unchanged when it is not one the API answers. */
export function queueApiError(error: unknown): unknown {
  if (error instanceof InvalidOptionError) {
    return badRequest(error.message, { field: error.option, value: error.value, allowed: error.hint });
  }
  if (error instanceof InvalidInputError) return badRequest(error.message);
  if (error instanceof JobNotFoundError) {
    return new ApiError(404, "not_found", error.message, { jobId: error.jobId });
  }
  if (error instanceof ScheduleNotFoundError) {
    return new ApiError(404, "not_found", error.message, { schedule: error.schedule });
  }
  if (error instanceof UnknownTaskError) {
    return new ApiError(
      404,
      "not_found",
      `No function named '${error.task}' in this namespace (no worker has registered it).`,
      { function: error.task },
    );
  }
  if (error instanceof NotDeadLetteredError) {
    return conflict(error.message, { jobId: error.jobId, status: error.status });
  }
  if (error instanceof AlreadyReplayedError) {
    return conflict(`${error.message.replace(/pass force.*$/, "")}send "force": true to run it again.`, {
      jobId: error.jobId,
      replayedAs: error.replayedAs,
    });
  }
  if (error instanceof NotRetryableError) {
    return conflict(error.message, { jobId: error.jobId, status: error.status });
  }
  return error;
}

/** Runs an SDK call as a route's Redis call: 503 while Redis is down, envelope errors otherwise. */
export async function callQueue<T>(deps: ServerDependencies, call: () => Promise<T>): Promise<T> {
  try {
    return await deps.withRedis(call);
  } catch (error) {
    throw queueApiError(error);
  }
}
