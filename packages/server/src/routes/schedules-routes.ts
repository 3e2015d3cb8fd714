/**
 * Cron schedules managed at runtime (the SDK's `Schedules`): list, show, create or replace,
 * pause, resume, trigger one run now, remove. They live in Redis; every running worker's
 * scheduler notices a change within one pass, without a restart.
 */
import {
  MAX_NAME_LENGTH,
  type Schedule,
  isValidName,
  scheduleListSchema,
  scheduleSchema,
  scheduleTriggerResultSchema,
  scheduleUpsertSchema,
} from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { ScheduleInfo, ScheduleOptions } from "upnext";
import { z } from "zod";
import type { QueueAdmin } from "../connections/queue-admin.js";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { notFound } from "../http/api-error.js";
import { ITEM_ERRORS, LIST_ERRORS } from "../http/error-responses.js";
import { isoTime, isoTimeOrNull } from "../lib/iso-time.js";
import { decodeNameCursor, pageInMemory } from "../http/memory-pagination.js";
import { pageInfo, pageQuerySchema } from "../http/pagination.js";
import { functionNameSchema } from "../http/query-params.js";
import { callQueue } from "../http/queue-errors.js";
import { jobHref } from "./queued-job-state.js";

const scheduleName = z
  .string()
  .max(MAX_NAME_LENGTH, { error: `a schedule name is at most ${MAX_NAME_LENGTH} characters` })
  .refine(isValidName, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a schedule name: use 1-${MAX_NAME_LENGTH} letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
  });

const params = z.object({ name: scheduleName });
const listQuery = pageQuerySchema.extend({
  task: functionNameSchema().optional().describe("Only the schedules of this task."),
});

function present(info: ScheduleInfo): Schedule {
  return {
    name: info.name,
    task: info.task,
    cron: info.cron,
    timezone: info.timezone,
    missedRuns: info.missedRuns,
    catchUpWindowMs: info.catchUpWindow,
    overlap: info.overlap,
    input: info.input,
    paused: info.paused,
    pausedAt: isoTimeOrNull(info.pausedAt),
    resumedAt: isoTimeOrNull(info.resumedAt),
    source: info.source,
    nextSlot: isoTimeOrNull(info.nextSlot),
    lastScheduledSlot: isoTimeOrNull(info.lastScheduledSlot),
    lastCompletedSlot: isoTimeOrNull(info.lastCompletedSlot),
    lastRun: info.lastRun
      ? { id: info.lastRun.id, slot: isoTime(info.lastRun.slot), status: info.lastRun.status }
      : null,
    runs: info.runs,
    skippedSlots: info.skippedSlots,
    createdAt: isoTime(info.createdAt),
    updatedAt: isoTime(info.updatedAt),
  };
}

export function scheduleRoutes(deps: ServerDependencies, admin: QueueAdmin) {
  const { schedules } = admin;
  return (app: FastifyInstance): void => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.get(
      "/api/v1/schedules",
      {
        schema: {
          summary: "List cron schedules",
          description: "Sorted by name, keyset-paginated by name.",
          tags: ["schedules"],
          querystring: listQuery,
          response: { 200: scheduleListSchema, ...LIST_ERRORS },
        },
      },
      async (request) => {
        const { limit, cursor, task } = request.query;
        const decoded = decodeNameCursor(cursor);
        // The SDK reads every schedule (one hash each): schedules number in the tens or hundreds.
        const all = await callQueue(deps, () => schedules.list());
        const matching = task === undefined ? all : all.filter((info) => info.task === task);
        const page = pageInMemory(matching, (info) => info.name, limit, decoded);
        return { items: page.items.map(present), page: pageInfo(request, limit, page) };
      },
    );

    routes.get(
      "/api/v1/schedules/:name",
      {
        schema: {
          summary: "Show a cron schedule",
          tags: ["schedules"],
          params,
          response: { 200: scheduleSchema, ...ITEM_ERRORS },
        },
      },
      async (request) => {
        const { name } = request.params;
        const info = await callQueue(deps, () => schedules.get(name));
        if (!info) throw notFound("Schedule", name);
        return present(info);
      },
    );

    routes.put(
      "/api/v1/schedules/:name",
      {
        schema: {
          summary: "Create or replace a cron schedule",
          description:
            "The body is the whole definition: a setting left out gets its default. The cron expression, time zone and policies are checked first; a bad one is a 400 naming the field and why. Replacing keeps the schedule's pause, cursor and counters; a new expression or time zone applies from now on. 201 when created, 200 when replaced.",
          tags: ["schedules"],
          params,
          body: scheduleUpsertSchema,
          response: { 200: scheduleSchema, 201: scheduleSchema, ...LIST_ERRORS },
        },
      },
      async (request, reply) => {
        const { name } = request.params;
        const body = request.body;
        const options: ScheduleOptions = {
          name,
          cron: body.cron,
          ...(body.task === undefined ? {} : { task: body.task }),
          ...(body.timezone === undefined ? {} : { timezone: body.timezone }),
          ...(body.missedRuns === undefined ? {} : { missedRuns: body.missedRuns }),
          ...(body.catchUpWindow === undefined ? {} : { catchUpWindow: body.catchUpWindow }),
          ...(body.overlap === undefined ? {} : { overlap: body.overlap }),
          ...(body.input === undefined ? {} : { input: body.input }),
        };
        const existed = (await callQueue(deps, () => schedules.get(name))) !== undefined;
        const info = await callQueue(deps, () => schedules.upsert(options));
        return reply.code(existed ? 200 : 201).send(present(info));
      },
    );

    for (const action of ["pause", "resume"] as const) {
      routes.post(
        `/api/v1/schedules/:name/${action}`,
        {
          schema: {
            summary: action === "pause" ? "Pause a cron schedule" : "Resume a paused cron schedule",
            description:
              action === "pause"
                ? "It stops firing; slots that pass while paused are missed slots when it is resumed."
                : "It fires again; the slots missed while paused follow its missedRuns policy.",
            tags: ["schedules"],
            params,
            response: { 200: scheduleSchema, ...ITEM_ERRORS },
          },
        },
        async (request) => {
          const { name } = request.params;
          const info = await callQueue(deps, () =>
            action === "pause" ? schedules.pause(name) : schedules.resume(name),
          );
          return present(info);
        },
      );
    }

    routes.post(
      "/api/v1/schedules/:name/trigger",
      {
        schema: {
          summary: "Run a cron schedule once now",
          description:
            "Enqueues one run with the schedule's input (origin scheduledFor = now). The schedule's cursor does not move and its overlap policy does not apply.",
          tags: ["schedules"],
          params,
          response: { 201: scheduleTriggerResultSchema, ...ITEM_ERRORS },
        },
      },
      async (request, reply) => {
        const { name } = request.params;
        const ref = await callQueue(deps, () => schedules.trigger(name));
        return reply.code(201).send({
          schedule: name,
          job: { id: ref.id, function: ref.functionName, href: jobHref(ref.id) },
        });
      },
    );

    routes.delete(
      "/api/v1/schedules/:name",
      {
        schema: {
          summary: "Remove a cron schedule",
          description:
            "The jobs it already created are kept. A worker that defines it in code writes it again at its next start.",
          tags: ["schedules"],
          params,
          response: { 204: z.null().describe("Removed."), ...ITEM_ERRORS },
        },
      },
      async (request, reply) => {
        const { name } = request.params;
        const removed = await callQueue(deps, () => schedules.remove(name));
        if (!removed) throw notFound("Schedule", name);
        return reply.code(204).send(null);
      },
    );
  };
}
