/**
 * Pause and resume a function: every worker stops (or starts again) claiming its jobs at its
 * next claim. Jobs keep arriving while paused and wait; running jobs finish. The flag is one
 * hash field the claim script reads (SDK `Functions`), never a rewrite of the worker's record.
 */
import { type FunctionQueueState, functionQueueStateSchema } from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { FunctionState } from "upnext";
import { z } from "zod";
import type { QueueAdmin } from "../connections/queue-admin.js";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { ITEM_ERRORS } from "../http/error-responses.js";
import { functionNameSchema } from "../http/query-params.js";
import { callQueue } from "../http/queue-errors.js";

const params = z.object({ name: functionNameSchema() });

function present(state: FunctionState): FunctionQueueState {
  return {
    name: state.name,
    paused: state.paused,
    queued: state.queued,
    scheduled: state.scheduled,
    active: state.active,
    waiting: state.waiting,
    deadLettered: state.deadLettered,
  };
}

export function functionActionRoutes(deps: ServerDependencies, admin: QueueAdmin) {
  return (app: FastifyInstance): void => {
    const routes = app.withTypeProvider<ZodTypeProvider>();
    for (const action of ["pause", "resume"] as const) {
      routes.post(
        `/api/v1/functions/:name/${action}`,
        {
          schema: {
            summary: action === "pause" ? "Pause a function" : "Resume a paused function",
            description:
              action === "pause"
                ? "Workers stop claiming the function's jobs at their next claim; new jobs wait, running ones finish. Pausing a paused function changes nothing. An unknown function is a 404."
                : "Workers claim the function's jobs again. Resuming a function that is not paused changes nothing.",
            tags: ["functions"],
            params,
            response: { 200: functionQueueStateSchema, ...ITEM_ERRORS },
          },
        },
        async (request) => {
          const { name } = request.params;
          await callQueue(deps, () =>
            action === "pause" ? admin.functions.pause(name) : admin.functions.resume(name),
          );
          return present(await callQueue(deps, () => admin.functions.state(name)));
        },
      );
    }
  };
}
