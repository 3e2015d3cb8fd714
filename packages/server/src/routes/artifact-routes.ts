/**
 * Artifacts: upload (raw body or multipart, streamed to storage), list a job's artifacts, detail,
 * content (inline only for types a browser cannot run; ETag, Range) and delete. Every change is
 * published on the namespace's artifacts channel for live views.
 */
import fastifyMultipart from "@fastify/multipart";
import {
  ARTIFACT_ID_RULE,
  ARTIFACT_NAME_RULE,
  CONTENT_TYPE_RULE,
  type ArtifactEvent,
  type ArtifactInfo,
  artifactInfoSchema,
  artifactPageSchema,
  isValidArtifactId,
  isValidArtifactName,
  isValidContentType,
  isValidJobId,
  JOB_ID_RULE,
  newJobId,
} from "@upnext/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { ArtifactSweep } from "../artifacts/artifact-lifecycle.js";
import {
  type ArtifactRecord,
  deleteArtifactRow,
  findArtifact,
  insertArtifact,
  isDuplicateKey,
  jobExists,
  listArtifacts,
  toArtifactInfo,
} from "../artifacts/artifact-records.js";
import {
  type ArtifactStorage,
  ArtifactStorageError,
  ArtifactTooLargeError,
  StorageObjectNotFoundError,
  artifactStorageKey,
} from "../artifacts/artifact-storage.js";
import {
  CONTENT_CACHE_CONTROL,
  CONTENT_SECURITY_POLICY,
  contentDisposition,
  etagMatches,
  etagOf,
  parseRange,
  servesInline,
} from "../artifacts/content-headers.js";
import { checkDeclaredLength, discardRest, tooLarge, uploadBody } from "../artifacts/upload-body.js";
import { DependencyUnavailableError } from "../connections/circuit-breaker.js";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { ApiError, badRequest, conflict, notFound } from "../http/api-error.js";
import { API_PREFIX } from "../http/auth.js";
import { decodeTypedCursor, pageInfo, pageQuerySchema } from "../http/pagination.js";
import { toPage } from "../store/keyset.js";

/** How soon a client may retry after artifact storage failed. */
const STORAGE_RETRY_AFTER_MS = 5_000;
/** The list's keyset: (created_at, id). */
const CURSOR_TYPES = ["number", "string"] as const;

function invalid(parameter: string, value: unknown, allowed: string): ApiError {
  return badRequest(`Invalid ${parameter} ${JSON.stringify(value)}: use ${allowed}.`, {
    parameter,
    value,
    allowed,
  });
}

function checkJobId(value: string): string {
  if (!isValidJobId(value)) throw invalid("job id", value, JOB_ID_RULE);
  return value;
}

function checkArtifactId(value: string): string {
  if (!isValidArtifactId(value)) throw invalid("artifact id", value, ARTIFACT_ID_RULE);
  return value;
}

function storageFailure(error: unknown): unknown {
  if (error instanceof ArtifactStorageError) {
    return new DependencyUnavailableError("artifact storage", STORAGE_RETRY_AFTER_MS, error);
  }
  if (error instanceof ArtifactTooLargeError) return tooLarge(error.maxBytes);
  return error;
}

const jobParams = z.object({ id: z.string().max(256).describe("The job's id.") });
const artifactParams = z.object({ id: z.string().max(256).describe("The artifact's id.") });
const uploadQuery = z.object({
  name: z
    .string()
    .max(1024)
    .optional()
    .describe(
      `The artifact's name (${ARTIFACT_NAME_RULE}); a multipart upload may give it as the file name.`,
    ),
  id: z
    .string()
    .max(256)
    .optional()
    .describe(
      `An id for the artifact (${ARTIFACT_ID_RULE}). Uploading again with the same id, job and name returns the stored artifact instead of a second copy: how retries stay idempotent.`,
    ),
});
const contentQuery = z.object({
  download: z
    .enum(["true", "false", "1", "0"])
    .optional()
    .describe("true: always as an attachment, whatever the type."),
});

export interface ArtifactRoutesOptions {
  readonly storage: ArtifactStorage;
  /** Run the pending-promotion sweep and the orphan collection while the server listens (default true). */
  readonly maintenance?: boolean;
}

export function artifactRoutes(deps: ServerDependencies, options: ArtifactRoutesOptions) {
  const { storage } = options;
  const maxBytes = deps.config.artifactMaxSize;

  async function publish(type: ArtifactEvent["type"], info: ArtifactInfo, request: FastifyRequest) {
    const event: ArtifactEvent = {
      type,
      jobId: info.jobId,
      artifact: {
        id: info.id,
        name: info.name,
        contentType: info.contentType,
        size: info.size,
        createdAt: info.createdAt,
      },
    };
    // Live views are a convenience: the artifact is stored whether or not Redis hears of it.
    await deps
      .withRedis((redis) => redis.publish(deps.keys.artifactsChannel, JSON.stringify(event)))
      .catch((error: unknown) => {
        request.log.warn({ err: error, artifactId: info.id }, `could not publish ${type}`);
      });
  }

  async function loadArtifact(id: string): Promise<ArtifactRecord> {
    const record = await deps.withDatabase((db) => findArtifact(db, checkArtifactId(id)));
    if (!record) throw notFound("Artifact", id);
    return record;
  }

  /** Stores the body under a new key and records it; the object is removed again if recording fails. */
  async function store(
    request: FastifyRequest,
    reply: FastifyReply,
    jobId: string,
    requestedId: string | undefined,
    queryName: string | undefined,
  ): Promise<ArtifactInfo> {
    const body = await uploadBody(request, maxBytes);
    const name = queryName ?? body.fileName;
    if (name === undefined)
      throw badRequest("Give the artifact a name: ?name=<name>.", { parameter: "name" });
    if (!isValidArtifactName(name)) throw invalid("artifact name", name, ARTIFACT_NAME_RULE);
    if (!isValidContentType(body.contentType)) {
      throw invalid("content type", body.contentType, CONTENT_TYPE_RULE);
    }
    const id = requestedId ?? newJobId();
    const storageKey = artifactStorageKey(id);
    let stored;
    try {
      stored = await storage.put(storageKey, body.stream, maxBytes);
    } catch (error) {
      throw storageFailure(error);
    }
    const row = {
      id,
      job_id: jobId,
      name,
      content_type: body.contentType,
      size_bytes: stored.size,
      sha256: stored.sha256,
      storage_key: storageKey,
      created_at: Date.now(),
    };
    try {
      const record = await deps.withDatabase((db) => insertArtifact(db, row));
      void reply.code(record.pending ? 202 : 201);
      return toArtifactInfo(record);
    } catch (error) {
      await storage.delete(storageKey).catch((cleanup: unknown) => {
        request.log.warn(
          { err: cleanup },
          "could not remove the content of an artifact that was not recorded",
        );
      });
      if (requestedId !== undefined && isDuplicateKey(error)) {
        // Two uploads with one id raced; the other one was recorded first.
        return sameArtifact(await loadArtifact(requestedId), jobId, name, reply);
      }
      throw error;
    }
  }

  /** A repeated upload (same id) is answered with what is stored, if it is the same artifact. */
  function sameArtifact(
    record: ArtifactRecord,
    jobId: string,
    name: string,
    reply: FastifyReply,
  ): ArtifactInfo {
    if (record.job_id !== jobId || record.name !== name) {
      throw conflict(
        `Artifact id ${JSON.stringify(record.id)} is taken by another artifact; give each artifact its own id.`,
        { id: record.id },
      );
    }
    void reply.code(200);
    return toArtifactInfo(record);
  }

  return async (app: FastifyInstance): Promise<void> => {
    // In this plugin only: every body reaches the upload handler unread, as a stream.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", (_request, _payload, done) => {
      done(null);
    });
    await app.register(fastifyMultipart);
    app.addHook("onSend", (request, _reply, payload, done) => {
      if (request.method === "POST") discardRest(request);
      done(null, payload);
    });
    if (options.maintenance !== false) {
      const maintenance = new ArtifactSweep(deps, storage, app.log);
      app.addHook("onListen", (done) => {
        maintenance.start();
        done();
      });
      app.addHook("onClose", () => maintenance.stop());
    }
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.post(
      `${API_PREFIX}/jobs/:id/artifacts`,
      {
        schema: {
          summary: "Upload an artifact of a job",
          description:
            "The body is the content (any Content-Type, streamed to storage), or a multipart/form-data body with one file field. " +
            "201: stored with its job; 202: stored as pending, because the job is not in the history yet (it is promoted when the job arrives); " +
            "200: this id was uploaded before and that artifact is returned. 413 over UPNEXT_ARTIFACT_MAX_SIZE.",
          tags: ["artifacts"],
          params: jobParams,
          querystring: uploadQuery,
          response: { 200: artifactInfoSchema, 201: artifactInfoSchema, 202: artifactInfoSchema },
        },
      },
      async (request, reply) => {
        const jobId = checkJobId(request.params.id);
        const { name, id } = request.query;
        if (name !== undefined && !isValidArtifactName(name))
          throw invalid("artifact name", name, ARTIFACT_NAME_RULE);
        if (id !== undefined) checkArtifactId(id);
        checkDeclaredLength(request, maxBytes);
        // Read before the body so a database outage or a repeated upload costs no transfer.
        const existing = await deps.withDatabase(async (db) => {
          if (id !== undefined) return findArtifact(db, id);
          await jobExists(db, jobId);
          return undefined;
        });
        if (existing) return sameArtifact(existing, jobId, name ?? existing.name, reply);
        const info = await store(request, reply, jobId, id, name);
        await publish("artifact.created", info, request);
        return info;
      },
    );

    routes.get(
      `${API_PREFIX}/jobs/:id/artifacts`,
      {
        schema: {
          summary: "List a job's artifacts, newest first (pending ones included and marked)",
          tags: ["artifacts"],
          params: jobParams,
          querystring: pageQuerySchema,
          response: { 200: artifactPageSchema },
        },
      },
      async (request) => {
        const jobId = checkJobId(request.params.id);
        const { limit } = request.query;
        const cursor =
          request.query.cursor === undefined
            ? undefined
            : decodeTypedCursor(request.query.cursor, CURSOR_TYPES);
        const rows = await deps.withDatabase((db) => listArtifacts(db, jobId, limit, cursor));
        const page = toPage(rows, { limit, cursor, keyOf: (row) => [row.created_at, row.id] });
        return { items: page.items.map(toArtifactInfo), page: pageInfo(request, limit, page) };
      },
    );

    routes.get(
      `${API_PREFIX}/artifacts/:id`,
      {
        schema: {
          summary: "An artifact's metadata",
          tags: ["artifacts"],
          params: artifactParams,
          response: { 200: artifactInfoSchema },
        },
      },
      async (request) => toArtifactInfo(await loadArtifact(request.params.id)),
    );

    // GET and HEAD together: Fastify's own HEAD route would read the whole file to discard it.
    routes.route({
      method: ["GET", "HEAD"],
      url: `${API_PREFIX}/artifacts/:id/content`,
      schema: {
        summary: "An artifact's content",
        description:
          "Inline only for text/plain, application/json and PNG/JPEG/GIF/WebP images; everything else (HTML and SVG included) is an attachment. " +
          "?download=true always gives an attachment. ETag (the SHA-256) with If-None-Match, and single byte ranges.",
        tags: ["artifacts"],
        params: artifactParams,
        querystring: contentQuery,
      },
      handler: async (request, reply) => {
        const record = await loadArtifact(request.params.id);
        const size = record.size_bytes;
        const etag = etagOf(record.sha256);
        const download = request.query.download === "true" || request.query.download === "1";
        void reply
          .header("etag", etag)
          .header("cache-control", CONTENT_CACHE_CONTROL)
          .header("x-content-type-options", "nosniff")
          .header("content-security-policy", CONTENT_SECURITY_POLICY)
          .header("accept-ranges", "bytes")
          .header(
            "content-disposition",
            contentDisposition(record.name, !download && servesInline(record.content_type)),
          );
        if (etagMatches(request.headers["if-none-match"], etag)) return reply.code(304).send();
        // A range is served only of the version the client has (If-Range), else the whole object.
        const ifRange = [request.headers["if-range"] ?? []].flat()[0];
        const range =
          ifRange === undefined || etagMatches(ifRange, etag)
            ? parseRange(request.headers.range, size)
            : ({ kind: "full" } as const);
        if (range.kind === "unsatisfiable") {
          throw new ApiError(
            416,
            "bad_request",
            `The range ${JSON.stringify(request.headers.range)} is outside the artifact's ${size} bytes.`,
            { size },
            { "content-range": `bytes */${size}` },
          );
        }
        void reply.type(record.content_type);
        const partial = range.kind === "partial" ? range.range : undefined;
        if (partial) {
          void reply.code(206).header("content-range", `bytes ${partial.start}-${partial.end}/${size}`);
        }
        void reply.header("content-length", partial ? partial.end - partial.start + 1 : size);
        if (request.method === "HEAD") return reply.send();
        let opened;
        try {
          opened = await storage.open(record.storage_key, partial);
        } catch (error) {
          if (error instanceof StorageObjectNotFoundError) {
            throw new ApiError(
              404,
              "not_found",
              `The content of artifact ${JSON.stringify(record.id)} is missing from storage.`,
            );
          }
          throw storageFailure(error);
        }
        return reply.send(opened.stream);
      },
    });

    routes.delete(
      `${API_PREFIX}/artifacts/:id`,
      {
        schema: {
          summary: "Delete an artifact (its record, then its content)",
          tags: ["artifacts"],
          params: artifactParams,
          response: { 200: z.object({ deleted: z.literal(true), artifact: artifactInfoSchema }) },
        },
      },
      async (request) => {
        const id = checkArtifactId(request.params.id);
        const record = await deps.withDatabase((db) => deleteArtifactRow(db, id));
        if (!record) throw notFound("Artifact", id);
        await storage.delete(record.storage_key).catch((error: unknown) => {
          request.log.warn(
            { err: error, artifactId: id },
            "artifact deleted but its content could not be removed",
          );
        });
        const info = toArtifactInfo(record);
        await publish("artifact.deleted", info, request);
        return { deleted: true as const, artifact: info };
      },
    );
  };
}
