/**
 * Artifacts: files a job stores on the history server (`ctx.artifacts.put` in the SDK). The rules
 * for names, ids and content types live here so the SDK refuses a bad name before uploading and
 * the server refuses the same names with a 400; the wire shapes are shared by both.
 */
import { z } from "zod";
import { isoTimeSchema, pageSchema } from "./api-contract/page.js";
import { InvalidOptionError } from "./errors.js";

export const MAX_ARTIFACT_NAME_LENGTH = 255;
export const MAX_CONTENT_TYPE_LENGTH = 255;

/** Control characters (C0, DEL, C1) and the bidirectional overrides that disguise a file name. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_NAME_CHARACTERS = /[/\\\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

export const ARTIFACT_NAME_RULE =
  `1-${MAX_ARTIFACT_NAME_LENGTH} characters, no '/' or '\\', no control characters, ` +
  "no leading or trailing spaces, and not '.' or '..'";

export function isValidArtifactName(value: unknown): value is string {
  return (
    typeof value === "string" &&
    value.length >= 1 &&
    value.length <= MAX_ARTIFACT_NAME_LENGTH &&
    value !== "." &&
    value !== ".." &&
    value.trim() === value &&
    !FORBIDDEN_NAME_CHARACTERS.test(value)
  );
}

/** The name an artifact is listed and downloaded under; it never becomes a path or a key. */
export function validateArtifactName(value: unknown): string {
  if (!isValidArtifactName(value)) {
    throw new InvalidOptionError("artifact name", value, `use ${ARTIFACT_NAME_RULE}`);
  }
  return value;
}

/** Artifact ids are chosen by the uploader (the SDK sends a ULID so a retried upload is stored once). */
const ARTIFACT_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const ARTIFACT_ID_RULE = "1-64 letters, digits, '_' or '-'";

export function isValidArtifactId(value: unknown): value is string {
  return typeof value === "string" && ARTIFACT_ID.test(value);
}

const TOKEN = "[A-Za-z0-9!#$&^_.+-]+";
const CONTENT_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(\\s*;\\s*${TOKEN}=(${TOKEN}|"[^"\\\\\\r\\n]*"))*$`);
export const CONTENT_TYPE_RULE = `a media type such as "text/csv" or "text/plain; charset=utf-8", at most ${MAX_CONTENT_TYPE_LENGTH} characters`;

export function isValidContentType(value: unknown): value is string {
  return typeof value === "string" && value.length <= MAX_CONTENT_TYPE_LENGTH && CONTENT_TYPE.test(value);
}

export function validateContentType(value: unknown): string {
  if (!isValidContentType(value))
    throw new InvalidOptionError("contentType", value, `use ${CONTENT_TYPE_RULE}`);
  return value;
}

/** An artifact as the server's API describes it (never where it is stored). */
export const artifactInfoSchema = z.object({
  id: z.string(),
  jobId: z.string(),
  name: z.string(),
  contentType: z.string(),
  /** Bytes. */
  size: z.number().int().nonnegative(),
  /** Hex SHA-256 of the content. */
  sha256: z.string(),
  createdAt: isoTimeSchema,
  /** True while the artifact's job is not in the history yet (it is promoted when the job arrives). */
  pending: z.boolean(),
});

export type ArtifactInfo = z.infer<typeof artifactInfoSchema>;

/** A page of a job's artifacts, newest first. */
export const artifactPageSchema = pageSchema(artifactInfoSchema);

export const ARTIFACT_EVENT_TYPES = ["artifact.created", "artifact.deleted"] as const;
export type ArtifactEventType = (typeof ARTIFACT_EVENT_TYPES)[number];

/** What the server publishes on `namespaceKeys(ns).artifactsChannel`. */
export const artifactEventSchema = z.object({
  type: z.enum(ARTIFACT_EVENT_TYPES),
  jobId: z.string(),
  artifact: z.object({
    id: z.string(),
    name: z.string(),
    contentType: z.string(),
    size: z.number().int().nonnegative(),
    createdAt: isoTimeSchema,
  }),
});

export type ArtifactEvent = z.infer<typeof artifactEventSchema>;
