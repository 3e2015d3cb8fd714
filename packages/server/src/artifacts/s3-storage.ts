/**
 * Artifact contents in an S3-compatible object store (AWS S3, MinIO, R2, ...), so several server
 * replicas share them (docs/artifacts.md#object-storage). An upload is streamed into one buffer of
 * PART_SIZE bytes, sent as a multipart upload part each time it fills and then reused, so memory
 * stays bounded whatever the artifact's size; an artifact that fits in one part is a single
 * PutObject. The
 * object appears under its key only when the upload completes; a failed or oversized upload is
 * aborted, leaving nothing.
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import {
  type ArtifactStorage,
  ArtifactStorageError,
  ArtifactTooLargeError,
  type ByteRange,
  type OpenedObject,
  type StoredObject,
  StorageObjectNotFoundError,
} from "./artifact-storage.js";

/** S3's smallest part (but the last) is 5 MiB; 8 MiB keeps a 1 GB upload to 128 parts. */
export const PART_SIZE = 8 * 1024 * 1024;

export interface S3StorageOptions {
  readonly bucket: string;
  /** Prepended to every key (e.g. "upnext/artifacts/"); may be empty. */
  readonly prefix: string;
  /** An S3-compatible endpoint (MinIO, R2, ...); empty: AWS S3 of the region. */
  readonly endpoint?: string | undefined;
  /** Path-style URLs (endpoint/bucket/key), which most S3-compatible servers need. */
  readonly forcePathStyle?: boolean | undefined;
  /** Default AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1. */
  readonly region?: string | undefined;
  /** Credentials; default the AWS SDK's chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, roles). */
  readonly credentials?: S3ClientConfig["credentials"];
  readonly partSize?: number;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === "NoSuchKey" || name === "NotFound" || statusOf(error) === 404;
}

export class S3Storage implements ArtifactStorage {
  readonly client: S3Client;
  private readonly partSize: number;

  constructor(private readonly options: S3StorageOptions) {
    if (options.bucket.length === 0)
      throw new Error("S3 artifact storage needs a bucket (UPNEXT_ARTIFACT_S3_BUCKET).");
    this.partSize = options.partSize ?? PART_SIZE;
    this.client = new S3Client({
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? false,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // Checksums only where S3 requires them: parts carry their own Content-MD5-free length, and
      // many S3-compatible servers reject the SDK's default trailing checksums.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  private objectKey(key: string): string {
    return `${this.options.prefix}${key}`;
  }

  async put(key: string, source: Readable, maxBytes: number): Promise<StoredObject> {
    const Bucket = this.options.bucket;
    const Key = this.objectKey(key);
    const hash = createHash("sha256");
    // One buffer for every part: a part is sent (and the SDK done with it) before the next is read.
    const part = Buffer.allocUnsafe(this.partSize);
    let filled = 0;
    let size = 0;
    let uploadId: string | undefined;
    const etags: { ETag: string; PartNumber: number }[] = [];
    const sendPart = async (): Promise<void> => {
      if (uploadId === undefined) {
        const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
        uploadId = created.UploadId;
        if (uploadId === undefined) throw new Error("the store returned no upload id");
      }
      etags.push(await this.uploadPart(Key, uploadId, etags.length + 1, part.subarray(0, filled)));
      filled = 0;
    };
    try {
      for await (const chunk of source as AsyncIterable<Buffer | string>) {
        let data = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        size += data.length;
        if (size > maxBytes) throw new ArtifactTooLargeError(maxBytes);
        hash.update(data);
        while (data.length > 0) {
          const taken = data.copy(part, filled);
          filled += taken;
          data = data.subarray(taken);
          // A full part goes out now; the last, shorter one after the loop.
          if (filled === part.length) await sendPart();
        }
      }
      if (uploadId === undefined) {
        // Everything fitted in one part: a single PutObject.
        const body = part.subarray(0, filled);
        await this.client.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentLength: body.length }));
      } else {
        if (filled > 0) await sendPart();
        await this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key,
            UploadId: uploadId,
            MultipartUpload: { Parts: etags },
          }),
        );
      }
      return { size, sha256: hash.digest("hex") };
    } catch (error) {
      if (uploadId !== undefined) {
        // An abandoned upload holds storage until aborted (or a bucket lifecycle rule does it).
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId }))
          .catch(() => undefined);
      }
      source.destroy();
      if (error instanceof ArtifactTooLargeError) throw error;
      throw new ArtifactStorageError("store the artifact", error);
    }
  }

  private async uploadPart(
    Key: string,
    UploadId: string,
    PartNumber: number,
    Body: Buffer,
  ): Promise<{ ETag: string; PartNumber: number }> {
    const answer = await this.client.send(
      new UploadPartCommand({
        Bucket: this.options.bucket,
        Key,
        UploadId,
        PartNumber,
        Body,
        ContentLength: Body.length,
      }),
    );
    if (answer.ETag === undefined)
      throw new Error(`the store returned no ETag for part ${String(PartNumber)}`);
    return { ETag: answer.ETag, PartNumber };
  }

  async open(key: string, range?: ByteRange): Promise<OpenedObject> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key: this.objectKey(key),
          ...(range ? { Range: `bytes=${String(range.start)}-${String(range.end)}` } : {}),
        }),
      );
      // "bytes 0-99/1234": the whole object's size is after the slash.
      const total = answer.ContentRange ? Number(answer.ContentRange.split("/")[1]) : answer.ContentLength;
      if (answer.Body === undefined || total === undefined || !Number.isFinite(total))
        throw new Error("the store answered without a body or a size");
      return { stream: answer.Body as Readable, size: total };
    } catch (error) {
      if (isNotFound(error)) throw new StorageObjectNotFoundError();
      throw new ArtifactStorageError("read the artifact", error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }),
      );
    } catch (error) {
      if (isNotFound(error)) return;
      throw new ArtifactStorageError("delete the artifact", error);
    }
  }

  close(): void {
    this.client.destroy();
  }
}
