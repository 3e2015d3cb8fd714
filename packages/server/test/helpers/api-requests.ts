/**
 * Requests to an app under test and what their answers must say: the JSON of a 200, the error
 * envelope, and the 503 `dependency_unavailable` of an endpoint whose Redis or database is down.
 */
import { type ApiErrorEnvelope, apiErrorEnvelopeSchema } from "@upnext/core";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";

/** A request as a row of a table of calls: method, URL and an optional JSON body. */
export type ApiCall = readonly [method: "GET" | "POST" | "PUT" | "DELETE", url: string, body?: object];

export function send(app: FastifyInstance, [method, url, body]: ApiCall): Promise<LightMyRequestResponse> {
  return app.inject({ method, url, ...(body === undefined ? {} : { payload: body }) });
}

/** GETs `url`, expects 200 (the body is shown when not) and returns the parsed JSON. */
export async function getOk<T>(app: FastifyInstance, url: string): Promise<T> {
  const response = await app.inject({ method: "GET", url });
  expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
  return response.json<T>();
}

/** The answer's error, checked against the envelope every error must have. */
export function errorOf(response: LightMyRequestResponse): ApiErrorEnvelope["error"] {
  return apiErrorEnvelopeSchema.parse(response.json()).error;
}

/** A 503 `dependency_unavailable` naming the dependency that is down. */
export function expectUnavailable(
  response: LightMyRequestResponse,
  dependency: "redis" | "database",
  what = "the request",
): void {
  expect(response.statusCode, `${what}: ${response.body}`).toBe(503);
  const error = errorOf(response);
  expect(error.code).toBe("dependency_unavailable");
  expect(error.details).toEqual({ dependency });
}
