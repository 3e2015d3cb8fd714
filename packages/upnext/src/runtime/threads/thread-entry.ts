/**
 * The code that runs inside a pooled worker thread (see thread-pool.ts). It only ever runs one job at
 * a time: the pool sends the next one when the previous reply has arrived.
 */

import { toErrorInfo } from "@upnext/core";
import { parentPort, workerData } from "node:worker_threads";
import { pathToFileURL } from "node:url";
import type {
  RunRequest,
  SerializedError,
  ThreadContext,
  ThreadContextMessage,
  ThreadData,
  ThreadHandler,
  ThreadReply,
} from "./thread-protocol.js";
import { ensureTypeScriptLoader } from "../typescript-loader.js";

const port = parentPort;
if (port === null) throw new Error("thread-entry must run inside a worker thread started by ThreadPool");

// Cancellation is done by terminating the thread, so there is nothing that could ever fire this; it
// exists so handlers written against the in-process context type-check and run unchanged.
const NEVER_ABORTED = new AbortController().signal;

const modules = new Map<string, Promise<Record<string, unknown>>>();

function reply(message: ThreadReply): void {
  port?.postMessage(message);
}

function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return toErrorInfo(error);
  return { name: "Error", message: `handler threw a non-Error value: ${String(error)}` };
}

function codedError(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

async function loadModule(modulePath: string): Promise<Record<string, unknown>> {
  const url = modulePath.startsWith("file:") ? modulePath : pathToFileURL(modulePath).href;
  let loaded = modules.get(url);
  if (loaded === undefined) {
    loaded = (async () => {
      // From source the bootstrap registered tsx already; compiled, tsx or Node's type stripping.
      if (!(workerData as ThreadData).typescriptLoader) await ensureTypeScriptLoader(modulePath);
      return (await import(url)) as Record<string, unknown>;
    })();
    modules.set(url, loaded);
    // A module created after a failed attempt (or fixed) can then load on a later job.
    loaded.catch(() => modules.delete(url));
  }
  try {
    return await loaded;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw codedError(
      "handler_not_found",
      `Cannot load thread handler module ${modulePath}: ${reason}`,
      error,
    );
  }
}

async function resolveHandler(
  modulePath: string,
  exportName: string,
): Promise<ThreadHandler<unknown, unknown>> {
  const module = await loadModule(modulePath);
  const handler = module[exportName];
  if (typeof handler !== "function") {
    const found =
      handler === undefined ? "has no such export" : `exports a ${typeof handler}, not a function`;
    throw codedError(
      "handler_not_found",
      `Thread handler module ${modulePath} ${found} for export "${exportName}" (exports: ${Object.keys(module).join(", ") || "none"})`,
    );
  }
  return handler as ThreadHandler<unknown, unknown>;
}

function contextFor(request: RunRequest): ThreadContext {
  const send = (message: ThreadContextMessage): void => {
    try {
      reply({ type: "context", id: request.id, message });
    } catch (error) {
      // A log call must not fail the handler because a field holds a function or a socket.
      if (message.kind !== "log") throw error;
      const reason = error instanceof Error ? error.message : String(error);
      reply({
        type: "context",
        id: request.id,
        message: { ...message, fields: { unclonableFields: reason } },
      });
    }
  };
  return {
    jobId: request.jobId,
    attempt: request.attempt,
    functionName: request.functionName,
    signal: NEVER_ABORTED,
    progress: (value, message) => {
      send(message === undefined ? { kind: "progress", value } : { kind: "progress", value, message });
    },
    log: (level, message, fields) => {
      send(fields === undefined ? { kind: "log", level, message } : { kind: "log", level, message, fields });
    },
    recordMetric: (name, value, labels) => {
      send(labels === undefined ? { kind: "metric", name, value } : { kind: "metric", name, value, labels });
    },
  };
}

async function run(request: RunRequest): Promise<void> {
  let value: unknown;
  try {
    const handler = await resolveHandler(request.modulePath, request.exportName);
    value = await handler(request.input, contextFor(request));
  } catch (error) {
    reply({ type: "failed", id: request.id, error: serializeError(error) });
    return;
  }
  try {
    reply({ type: "done", id: request.id, value });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const failure = codedError(
      "result_not_clonable",
      `Thread handler ${request.exportName} of ${request.modulePath} returned a value that cannot be sent back to the main thread: ${reason}`,
    );
    reply({ type: "failed", id: request.id, error: serializeError(failure) });
  }
}

port.on("message", (request: RunRequest) => {
  void run(request);
});
