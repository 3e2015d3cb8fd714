/**
 * `ctx.artifacts.put`: uploads a file of a job to the history server (UPNEXT_SERVER_URL) as the
 * raw request body, retrying connection errors, 5xx, 408 and 429 with exponential backoff. Each
 * upload carries an id chosen here, so a retry whose first attempt did reach the server returns
 * that artifact instead of storing a second copy.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type ArtifactInfo,
  UpNextError,
  artifactInfoSchema,
  apiErrorEnvelopeSchema,
  newJobId,
  validateArtifactName,
  validateContentType,
} from "@upnext/core";
import { type ArtifactData, prepareArtifactBody } from "./artifact-body.js";
import type { Logger } from "../observability/logger.js";

export type { ArtifactData } from "./artifact-body.js";

/** Tries per upload, the first included. */
export const ARTIFACT_UPLOAD_MAX_ATTEMPTS = 5;
/** Backoff before the second try; doubled per try, with up to half of it added as jitter. */
export const ARTIFACT_UPLOAD_BACKOFF_BASE_MS = 250;
export const ARTIFACT_UPLOAD_BACKOFF_MAX_MS = 8_000;
/** The longest Retry-After (429, 503) honoured; a longer one waits this long. */
export const ARTIFACT_RETRY_AFTER_MAX_MS = 30_000;
/** An attempt whose connection moves no byte for this long is abandoned and retried. */
export const ARTIFACT_UPLOAD_IDLE_TIMEOUT_MS = 60_000;
/** Most of an answer's body read (answers are small JSON documents). */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface ArtifactPutOptions {
  /** The content's media type. Default: text/plain for strings, application/json for values, else application/octet-stream. */
  readonly contentType?: string;
}

/** What a stored artifact looks like; `pending` while its job has not reached the server's history yet. */
export type Artifact = ArtifactInfo;

export interface JobArtifacts {
  /**
   * Stores `data` as an artifact of this job on the history server. Rejects with
   * InvalidOptionError for a bad name or content type (before anything is sent), and with
   * ArtifactUploadError when the server refuses it or cannot be reached after the retries.
   */
  put(name: string, data: ArtifactData, options?: ArtifactPutOptions): Promise<Artifact>;
}

/** An upload the server refused, or that could not reach it within the retries. */
export class ArtifactUploadError extends UpNextError {
  constructor(
    message: string,
    /** The HTTP status of the last answer; undefined when the server never answered. */
    readonly status: number | undefined,
    /** The server's error code (payload_too_large, unauthorized, ...), when it gave one. */
    readonly serverCode: string | undefined,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super("artifact_upload_failed", message, options);
  }
}

export interface ArtifactUploaderOptions {
  readonly serverUrl: string;
  /** Sent as a bearer token when not empty (UPNEXT_API_TOKEN). */
  readonly apiToken: string;
  readonly logger?: Logger;
  readonly maxAttempts?: number;
  readonly backoffBaseMs?: number;
}

export interface ArtifactUpload {
  readonly jobId: string;
  readonly name: string;
  readonly data: ArtifactData;
  readonly contentType?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: string;
}

/** Why one attempt failed, and whether another one may succeed. */
class AttemptFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly answer?: Answer,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function serverError(answer: Answer): { code?: string; message: string } {
  try {
    const parsed = apiErrorEnvelopeSchema.safeParse(JSON.parse(answer.body));
    if (parsed.success) return { code: parsed.data.error.code, message: parsed.data.error.message };
  } catch {
    // Not JSON: a proxy's page, say.
  }
  return { message: `HTTP ${answer.status}` };
}

function retryAfterMs(answer: Answer | undefined): number | undefined {
  const header = answer?.retryAfter;
  if (header === undefined) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, ARTIFACT_RETRY_AFTER_MAX_MS) : undefined;
}

export class ArtifactUploader {
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;

  constructor(private readonly options: ArtifactUploaderOptions) {
    this.maxAttempts = options.maxAttempts ?? ARTIFACT_UPLOAD_MAX_ATTEMPTS;
    this.backoffBaseMs = options.backoffBaseMs ?? ARTIFACT_UPLOAD_BACKOFF_BASE_MS;
  }

  async put(upload: ArtifactUpload): Promise<Artifact> {
    const name = validateArtifactName(upload.name);
    if (upload.contentType !== undefined) validateContentType(upload.contentType);
    try {
      return await this.upload(upload, name);
    } catch (error) {
      // The job's own reason (its timeout, its cancel) rather than a generic AbortError.
      if (upload.signal?.aborted) throw upload.signal.reason;
      throw error;
    }
  }

  private async upload(upload: ArtifactUpload, name: string): Promise<Artifact> {
    const body = await prepareArtifactBody(upload.data, upload.signal);
    try {
      const contentType = upload.contentType ?? body.defaultContentType;
      const url = new URL(`api/v1/jobs/${encodeURIComponent(upload.jobId)}/artifacts`, this.baseUrl());
      url.searchParams.set("name", name);
      url.searchParams.set("id", newJobId());
      const headers: Record<string, string> = {
        "content-type": contentType,
        "content-length": String(body.size),
        accept: "application/json",
        ...(this.options.apiToken === "" ? {} : { authorization: `Bearer ${this.options.apiToken}` }),
      };
      for (let attempt = 1; ; attempt++) {
        let failure: AttemptFailure;
        try {
          return this.accept(await this.send(url, headers, body.open(), upload.signal));
        } catch (error) {
          if (!(error instanceof AttemptFailure)) throw error;
          failure = error;
        }
        if (!failure.retryable || attempt >= this.maxAttempts) throw this.giveUp(upload, failure, attempt);
        const backoff = Math.min(this.backoffBaseMs * 2 ** (attempt - 1), ARTIFACT_UPLOAD_BACKOFF_MAX_MS);
        const delayMs = retryAfterMs(failure.answer) ?? backoff + Math.random() * (backoff / 2);
        this.options.logger?.warn(
          {
            jobId: upload.jobId,
            artifact: name,
            attempt,
            delayMs: Math.round(delayMs),
            err: failure.message,
          },
          "artifact upload failed; retrying",
        );
        await sleep(delayMs, undefined, upload.signal ? { signal: upload.signal } : {});
      }
    } finally {
      await body.dispose();
    }
  }

  private baseUrl(): URL {
    const base = this.options.serverUrl;
    return new URL(base.endsWith("/") ? base : `${base}/`);
  }

  private accept(answer: Answer): Artifact {
    if (answer.status >= 200 && answer.status < 300) {
      const parsed = artifactInfoSchema.safeParse(JSON.parse(answer.body));
      if (parsed.success) return parsed.data;
      throw new AttemptFailure(
        `the server's answer is not an artifact: ${answer.body.slice(0, 200)}`,
        false,
        answer,
      );
    }
    const retryable = answer.status >= 500 || answer.status === 408 || answer.status === 429;
    throw new AttemptFailure(serverError(answer).message, retryable, answer);
  }

  private giveUp(upload: ArtifactUpload, failure: AttemptFailure, attempts: number): ArtifactUploadError {
    const answer = failure.answer;
    const where = this.baseUrl().origin;
    const prefix = `Uploading artifact '${upload.name}' of job ${upload.jobId} to ${where}`;
    if (answer === undefined) {
      return new ArtifactUploadError(
        `${prefix} failed after ${attempts} attempt(s): ${failure.message}. Is the history server running there (UPNEXT_SERVER_URL)?`,
        undefined,
        undefined,
        attempts,
        { cause: failure.cause ?? failure },
      );
    }
    const { code, message } = serverError(answer);
    return new ArtifactUploadError(
      `${prefix} was refused with ${answer.status}${code === undefined ? "" : ` ${code}`}` +
        `${failure.retryable ? ` after ${attempts} attempt(s)` : ""}: ${message}`,
      answer.status,
      code,
      attempts,
    );
  }

  /** One attempt: the answer, even one that arrives while the body is still being sent (413). */
  private send(url: URL, headers: Record<string, string>, body: Buffer | Readable, signal?: AbortSignal) {
    return new Promise<Answer>((resolve, reject) => {
      let answered = false;
      const request = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, {
        method: "POST",
        headers,
        ...(signal ? { signal } : {}),
      });
      const fail = (error: Error): void => {
        if (answered) return;
        if (signal?.aborted) {
          reject(signal.reason as Error);
          return;
        }
        reject(new AttemptFailure(error.message, true, undefined, { cause: error }));
      };
      request.setTimeout(ARTIFACT_UPLOAD_IDLE_TIMEOUT_MS, () => {
        request.destroy(new Error(`no progress for ${ARTIFACT_UPLOAD_IDLE_TIMEOUT_MS} ms`));
      });
      request.on("error", fail);
      request.on("response", (response: IncomingMessage) => {
        answered = true;
        const chunks: Buffer[] = [];
        let length = 0;
        response.on("data", (chunk: Buffer) => {
          length += chunk.length;
          if (length <= MAX_ANSWER_BYTES) chunks.push(chunk);
        });
        response.on("error", (error) => {
          reject(new AttemptFailure(error.message, true, undefined, { cause: error }));
        });
        response.on("end", () => {
          const retryAfter = response.headers["retry-after"];
          resolve({
            status: response.statusCode ?? 0,
            retryAfter,
            body: Buffer.concat(chunks).toString("utf8"),
          });
          // An early answer leaves the rest of the body unsent: nothing more to say on this connection.
          if (!request.writableFinished) request.destroy();
        });
      });
      if (Buffer.isBuffer(body)) {
        request.end(body);
        return;
      }
      body.on("error", (error) => {
        request.destroy(error);
      });
      request.on("close", () => {
        body.destroy();
      });
      body.pipe(request);
    });
  }
}
