/**
 * POST /api/v1/stream-tickets: a ticket that opens live streams for a minute, for browsers'
 * EventSource, which cannot send the Authorization header (http/stream-tickets.ts). Any token may
 * have one (the route is `read`); the ticket carries that token's scope.
 */
import { apiErrorEnvelopeSchema } from "@upnext/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { ApiError } from "../http/api-error.js";
import { apiCredentials } from "../http/auth.js";
import { STREAM_TICKET_TTL_MS, issueStreamTicket } from "../http/stream-tickets.js";
import type { ServerDependencies } from "../connections/server-dependencies.js";

const ticketSchema = z.object({
  ticket: z.string().describe("Pass as `?ticket=` to any live stream."),
  expiresAt: z.number().int().describe("Epoch ms after which the ticket opens no new stream."),
});

export function streamTicketRoutes(deps: ServerDependencies) {
  const credentials = apiCredentials(deps.config);
  return (app: FastifyInstance): void => {
    app.withTypeProvider<ZodTypeProvider>().post(
      "/api/v1/stream-tickets",
      {
        config: { access: "read" },
        schema: {
          summary: "A short-lived ticket for opening live streams from a browser",
          description: `The ticket opens streams for ${String(STREAM_TICKET_TTL_MS / 1000)} s (a stream opened in time stays open). Streams already open are not affected when it expires.`,
          tags: ["streams"],
          response: {
            201: ticketSchema,
            401: apiErrorEnvelopeSchema.describe("The bearer token is missing or wrong."),
            404: apiErrorEnvelopeSchema.describe("The server has no tokens: streams need no ticket."),
          },
        },
      },
      (request, reply) => {
        const credential = credentials.find((candidate) => candidate.name === request.principal?.name);
        if (credential === undefined) {
          throw new ApiError(404, "not_found", "This server has no tokens: open streams without a ticket.");
        }
        void reply.code(201);
        return issueStreamTicket(credential);
      },
    );
  };
}
