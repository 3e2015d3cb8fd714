/**
 * Turns what a task passes to `ctx.artifacts.put` into a body that can be sent more than once
 * (each retry starts from byte 0) with a known length. Bytes and text are sent as they are; a
 * stream can be read only once, so it is first copied to a private temporary file.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { stat, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { InvalidOptionError, SerializationError } from "@upnext/core";

/**
 * What `put` accepts: a string (stored as text), bytes (Buffer, Uint8Array, ArrayBuffer), a stream
 * of bytes (a Node Readable or any AsyncIterable<Uint8Array>), or any other JSON-serialisable value
 * (stored as application/json).
 */
export type ArtifactData = unknown;

export const TEXT_CONTENT_TYPE = "text/plain; charset=utf-8";
export const BINARY_CONTENT_TYPE = "application/octet-stream";
export const JSON_CONTENT_TYPE = "application/json";
const SPOOL_FILE_MODE = 0o600;
const SPOOL_HIGH_WATER_MARK = 1024 * 1024;

export interface ArtifactBody {
  readonly size: number;
  /** The type used when the caller gives none. */
  readonly defaultContentType: string;
  /** A fresh copy of the body for one attempt. */
  open(): Buffer | Readable;
  /** Removes the spool file, if there is one. */
  dispose(): Promise<void>;
}

function isByteStream(data: unknown): data is Readable | AsyncIterable<Uint8Array> {
  if (data instanceof Readable) return true;
  return (
    typeof data === "object" &&
    data !== null &&
    !Array.isArray(data) &&
    typeof (data as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

function bytesBody(bytes: Buffer, defaultContentType: string): ArtifactBody {
  return {
    size: bytes.length,
    defaultContentType,
    open: () => bytes,
    dispose: () => Promise.resolve(),
  };
}

function toChunk(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  throw new InvalidOptionError(
    "artifact stream chunk",
    typeof chunk,
    "a stream must yield bytes (Uint8Array) or strings",
  );
}

/** Copies a stream to a private temporary file, so the upload knows its length and can retry. */
async function spool(
  data: Readable | AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<ArtifactBody> {
  const path = join(tmpdir(), `upnext-artifact-${randomBytes(8).toString("hex")}`);
  const dispose = () => unlink(path).catch(() => undefined);
  try {
    await pipeline(
      data,
      async function* (source: AsyncIterable<unknown>) {
        for await (const chunk of source) yield toChunk(chunk);
      },
      createWriteStream(path, { flags: "wx", mode: SPOOL_FILE_MODE, highWaterMark: SPOOL_HIGH_WATER_MARK }),
      ...(signal ? [{ signal }] : []),
    );
    const { size } = await stat(path);
    return {
      size,
      defaultContentType: BINARY_CONTENT_TYPE,
      open: () => createReadStream(path, { highWaterMark: SPOOL_HIGH_WATER_MARK }),
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

export async function prepareArtifactBody(data: ArtifactData, signal?: AbortSignal): Promise<ArtifactBody> {
  if (typeof data === "string") return bytesBody(Buffer.from(data, "utf8"), TEXT_CONTENT_TYPE);
  if (data instanceof Uint8Array) return bytesBody(toChunk(data), BINARY_CONTENT_TYPE);
  if (data instanceof ArrayBuffer) return bytesBody(Buffer.from(data), BINARY_CONTENT_TYPE);
  if (isByteStream(data)) return spool(data, signal);
  // Not a string for undefined, functions and symbols, whatever the lib's signature says.
  let text: unknown;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    throw new SerializationError("The artifact value", error);
  }
  if (typeof text !== "string") {
    throw new InvalidOptionError(
      "artifact data",
      typeof data,
      "give a string, bytes (Buffer/Uint8Array), a stream, or a JSON-serialisable value",
    );
  }
  return bytesBody(Buffer.from(text, "utf8"), JSON_CONTENT_TYPE);
}
