/**
 * The error responses a read route documents in the OpenAPI spec: every one is the envelope of
 * @upnext/core's api-errors (sendError builds them), listed so clients see which codes to expect.
 */
import { apiErrorEnvelopeSchema } from "@upnext/core";

const described = (description: string) => apiErrorEnvelopeSchema.describe(description);

const badRequest = described("A parameter is invalid: the message names it, its value and what is allowed.");
const unauthorized = described("The bearer token is missing or wrong (when UPNEXT_API_TOKEN is set).");
const notFound = described("No such job, function or worker.");
const unavailable = described(
  "Redis or the database is down (`dependency_unavailable`); retry after `Retry-After`.",
);

/** For lists and reports: no path id to miss. */
export const LIST_ERRORS = { 400: badRequest, 401: unauthorized, 503: unavailable } as const;
/** For `/:id` routes. */
export const ITEM_ERRORS = { ...LIST_ERRORS, 404: notFound } as const;
