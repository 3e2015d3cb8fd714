/**
 * The artifact storage a configuration selects (UPNEXT_ARTIFACT_STORAGE): the local directory,
 * or an S3-compatible bucket (docs/artifacts.md#object-storage).
 */
import { ConfigError, type Config } from "@upnext/core";
import type { ArtifactStorage } from "./artifact-storage.js";
import { LocalDirectoryStorage } from "./local-directory-storage.js";
import { S3Storage } from "./s3-storage.js";

export function createArtifactStorage(config: Config): ArtifactStorage {
  if (config.artifactStorage === "local") return new LocalDirectoryStorage(config.artifactsDir);
  if (config.artifactS3Bucket.trim() === "") {
    throw new ConfigError(
      "UPNEXT_ARTIFACT_S3_BUCKET",
      "",
      "UPNEXT_ARTIFACT_STORAGE=s3 needs the bucket's name; set it, or use UPNEXT_ARTIFACT_STORAGE=local",
    );
  }
  const endpoint = config.artifactS3Endpoint;
  return new S3Storage({
    bucket: config.artifactS3Bucket.trim(),
    prefix: config.artifactS3Prefix,
    endpoint: endpoint === "" ? undefined : endpoint,
    // S3-compatible servers are usually addressed path-style; AWS itself virtual-host style.
    forcePathStyle: endpoint !== "",
  });
}

/** Lets the storage's connections go (the S3 client's keep-alive sockets) when the server stops. */
export function closeArtifactStorage(storage: ArtifactStorage): void {
  if (storage instanceof S3Storage) storage.close();
}
