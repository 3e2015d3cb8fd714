/**
 * Where artifact contents live, behind a small interface so a deployment can swap the local
 * directory for an object store. Keys are built here from validated ids only (never from the
 * artifact's name or anything else a client chose freely) and never leave the server.
 */
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { isValidArtifactId } from "@upnext/core";

export interface StoredObject {
  readonly size: number;
  /** Hex SHA-256 of the bytes stored. */
  readonly sha256: string;
}

/** Inclusive byte offsets, as in an HTTP Range header. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface OpenedObject {
  readonly stream: Readable;
  /** The size of the whole object (not of the range). */
  readonly size: number;
}

export interface ArtifactStorage {
  /**
   * Stores `source` under `key`, reading it as it arrives. Fails with ArtifactTooLargeError (and
   * keeps nothing) once more than `maxBytes` arrive; an object is visible under its key only
   * once it is complete.
   */
  put(key: string, source: Readable, maxBytes: number): Promise<StoredObject>;
  /** Fails with StorageObjectNotFoundError when nothing is stored under `key`. */
  open(key: string, range?: ByteRange): Promise<OpenedObject>;
  /** Removes the object; a key with nothing stored under it is not an error. */
  delete(key: string): Promise<void>;
}

export class ArtifactTooLargeError extends Error {
  readonly statusCode = 413;
  constructor(readonly maxBytes: number) {
    super(`The artifact is larger than the server's limit of ${maxBytes} bytes (UPNEXT_ARTIFACT_MAX_SIZE).`);
    this.name = "ArtifactTooLargeError";
  }
}

export class StorageObjectNotFoundError extends Error {
  constructor() {
    super("The artifact's content is missing from storage.");
    this.name = "StorageObjectNotFoundError";
  }
}

/** Storage failed for a reason of its own (disk full, permissions); the message names no path. */
export class ArtifactStorageError extends Error {
  constructor(operation: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    super(`Artifact storage could not ${operation}${typeof code === "string" ? ` (${code})` : ""}.`, {
      cause,
    });
    this.name = "ArtifactStorageError";
  }
}

const KEY_SUFFIX_BYTES = 4;
const FAN_OUT_CHARACTERS = 2;

/**
 * The key of a new artifact's content: a fan-out directory from the id's last (random)
 * characters, then the id and a random suffix, so even a reused id never lands on another
 * artifact's object.
 */
export function artifactStorageKey(artifactId: string): string {
  if (!isValidArtifactId(artifactId)) throw new Error("refusing to build a storage key from an invalid id");
  const fanOut = artifactId.slice(-FAN_OUT_CHARACTERS).toLowerCase().padStart(FAN_OUT_CHARACTERS, "_");
  return `${fanOut}/${artifactId}-${randomBytes(KEY_SUFFIX_BYTES).toString("hex")}`;
}
