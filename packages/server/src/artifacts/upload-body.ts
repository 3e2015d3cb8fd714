/**
 * The body of an artifact upload as one stream, from either form: the raw body (the SDK, `curl
 * --data-binary`) or the one file of a multipart/form-data request (`curl -F`, a browser form).
 * Nothing is buffered: the stream is read as storage writes it.
 */
import type { IncomingMessage } from "node:http";
import { PassThrough, type Readable } from "node:stream";
import type { FastifyRequest } from "fastify";
import { ApiError, badRequest } from "../http/api-error.js";

/** What a multipart request may carry besides the file: a `name` field before it, little else. */
export const MULTIPART_LIMITS = { files: 1, fields: 4, fieldSize: 1024, parts: 5, headerPairs: 100 };
/** Boundary lines and part headers around the file of a multipart body. */
export const MULTIPART_ENVELOPE_ALLOWANCE = 64 * 1024;
/** How long an answered upload's remaining body is read and dropped so the client sees the answer. */
export const LINGER_MS = 2_000;
const BODY_HIGH_WATER_MARK = 1024 * 1024;
export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

export interface UploadBody {
  readonly stream: Readable;
  readonly contentType: string;
  /** The name from the multipart file's filename or a `name` field, when the query had none. */
  readonly fileName?: string;
}

export class ClientAbortedError extends Error {
  constructor() {
    super("The client closed the connection before the upload was complete.");
    this.name = "ClientAbortedError";
  }
}

/**
 * Whether the whole body has arrived. `complete` is set by Node's HTTP parser; a request made
 * with Fastify's `inject` has no parser, so its end (`readableEnded`) is the only sign.
 */
function bodyReceived(raw: IncomingMessage): boolean {
  return raw.complete || raw.readableEnded;
}

/**
 * The request body as a stream storage may destroy without destroying the socket (which would
 * lose the answer). A client that goes away ends it with ClientAbortedError.
 */
function detachedBody(raw: IncomingMessage): Readable {
  const body = new PassThrough({ highWaterMark: BODY_HIGH_WATER_MARK });
  const abort = (): void => {
    if (!bodyReceived(raw)) body.destroy(new ClientAbortedError());
  };
  raw.once("aborted", abort);
  raw.once("error", abort);
  raw.once("close", abort);
  raw.pipe(body);
  return body;
}

export function declaredLength(request: FastifyRequest): number | undefined {
  const header = request.headers["content-length"];
  if (header === undefined) return undefined;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

export function tooLarge(maxBytes: number, declared?: number): ApiError {
  return new ApiError(
    413,
    "payload_too_large",
    `The artifact is larger than the server's limit of ${maxBytes} bytes (UPNEXT_ARTIFACT_MAX_SIZE)` +
      (declared === undefined ? "." : `: the request declares ${declared} bytes.`),
    { maxBytes, ...(declared === undefined ? {} : { declaredBytes: declared }) },
  );
}

/** Refuses a body whose declared length is already over the limit, before reading any of it. */
export function checkDeclaredLength(request: FastifyRequest, maxBytes: number): void {
  const declared = declaredLength(request);
  const allowance = request.isMultipart() ? MULTIPART_ENVELOPE_ALLOWANCE : 0;
  if (declared !== undefined && declared > maxBytes + allowance) throw tooLarge(maxBytes, declared);
}

function fieldValue(fields: Record<string, unknown>, name: string): string | undefined {
  const field = fields[name] as { type?: unknown; value?: unknown } | undefined;
  return field?.type === "field" && typeof field.value === "string" ? field.value : undefined;
}

export async function uploadBody(request: FastifyRequest, maxBytes: number): Promise<UploadBody> {
  if (!request.isMultipart()) {
    return {
      stream: detachedBody(request.raw),
      contentType: request.headers["content-type"] ?? DEFAULT_CONTENT_TYPE,
    };
  }
  // One byte over the limit so our own meter (not busboy's truncation) reports the 413.
  const file = await request.file({ limits: { ...MULTIPART_LIMITS, fileSize: maxBytes + 1 } });
  if (file === undefined) {
    throw badRequest(
      "The multipart body has no file part: send the content as one file field (curl -F file=@path).",
    );
  }
  const fileName = fieldValue(file.fields, "name") ?? (file.filename === "" ? undefined : file.filename);
  return {
    stream: file.file,
    contentType: file.mimetype === "" ? DEFAULT_CONTENT_TYPE : file.mimetype,
    ...(fileName === undefined ? {} : { fileName }),
  };
}

/**
 * After answering an upload early (refused, too large, a duplicate), reads and drops what the
 * client still sends for a moment, so it reads the answer instead of a reset connection, then
 * closes the connection if the body has not ended.
 */
export function discardRest(request: FastifyRequest): void {
  const raw = request.raw;
  if (bodyReceived(raw) || raw.destroyed) return;
  raw.unpipe();
  raw.resume();
  const timer = setTimeout(() => {
    // Destroying an unfinished request closes its connection (and an injected one, which has
    // no real socket, only itself).
    if (!bodyReceived(raw)) raw.destroy();
  }, LINGER_MS);
  timer.unref();
  raw.once("end", () => {
    clearTimeout(timer);
  });
}
