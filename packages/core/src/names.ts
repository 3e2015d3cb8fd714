import { InvalidOptionError } from "./errors.js";

/**
 * Names that become part of Redis keys (functions, namespaces, schedules) are restricted so a
 * key can never be forged or collide: no braces (they would break the cluster hash tag), no
 * spaces, no wildcards.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const MAX_NAME_LENGTH = 128;

export function validateName(what: string, value: unknown): string {
  if (typeof value !== "string" || !NAME.test(value)) {
    throw new InvalidOptionError(
      what,
      value,
      "use 1-128 characters: letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
    );
  }
  return value;
}

export function isValidName(value: string): boolean {
  return NAME.test(value);
}

const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_JOB_ID_LENGTH = 64;
/** The job-id rule in words, for messages that reject an id. */
export const JOB_ID_RULE = "1-64 letters, digits, '_' or '-'";

export function isValidJobId(value: string): boolean {
  return JOB_ID.test(value);
}

// A worker id is its (valid) name, '-' and 8 hex digits (newWorkerId).
const WORKER_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,136}$/;
export const MAX_WORKER_ID_LENGTH = 137;

export function isValidWorkerId(value: string): boolean {
  return WORKER_ID.test(value);
}

export function validateJobId(value: unknown): string {
  if (typeof value !== "string" || !JOB_ID.test(value)) {
    throw new InvalidOptionError("jobId", value, `a job id is ${JOB_ID_RULE}`);
  }
  return value;
}

export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/**
 * Idempotency keys are trimmed; an empty key or one longer than 256 characters is an error.
 * Nothing else is changed: no case folding, no hashing, so the key you see is the key stored.
 */
export function normalizeIdempotencyKey(value: unknown): string {
  if (typeof value !== "string") {
    throw new InvalidOptionError("idempotencyKey", value, "an idempotency key must be a string");
  }
  const key = value.trim();
  if (key.length === 0) {
    throw new InvalidOptionError("idempotencyKey", value, "an idempotency key must not be empty or blank");
  }
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new InvalidOptionError(
      "idempotencyKey",
      `${key.slice(0, 32)}… (${key.length} characters)`,
      `an idempotency key must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters; hash longer keys first`,
    );
  }
  return key;
}
