export { buildApp, type AppOptions } from "./app.js";
export { startServer, type RunningServer, type StartServerOptions } from "./server.js";
export { openDatabase, type HistoryDatabase } from "./store/database.js";
export { migrate, migrationStatus } from "./store/migrator.js";
export { createDependencies, type ServerDependencies } from "./connections/server-dependencies.js";
export { openServerRedis } from "./connections/server-redis.js";
export {
  startIngester,
  type Ingester,
  type IngesterCounters,
  type IngesterOptions,
} from "./ingest/ingester.js";
export {
  startRetention,
  type Retention,
  type RetentionOptions,
  type RetentionReport,
} from "./sweeps/retention-sweep.js";
export { startAlerts, type Alerts, type AlertsOptions } from "./alerts/alert-engine.js";
export { createServerMetrics, type ServerMetrics } from "./observability/server-metrics.js";
export { createStreamHub, type StreamHub, type StreamHubOptions } from "./sse/stream-hub.js";
export {
  type ArtifactStorage,
  type ByteRange,
  type OpenedObject,
  type StoredObject,
  ArtifactStorageError,
  ArtifactTooLargeError,
  StorageObjectNotFoundError,
} from "./artifacts/artifact-storage.js";
export { LocalDirectoryStorage } from "./artifacts/local-directory-storage.js";
export { S3Storage, type S3StorageOptions } from "./artifacts/s3-storage.js";
export { createArtifactStorage } from "./artifacts/storage-from-config.js";
export {
  artifactServiceHooks,
  collectOrphanedPendingArtifacts,
  deleteArtifactFiles,
  promotePendingArtifacts,
  type ArtifactServiceHooks,
} from "./artifacts/artifact-lifecycle.js";
