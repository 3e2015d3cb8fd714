export { buildApp, type AppOptions } from "./app.js";
export { startServer, type RunningServer, type StartServerOptions } from "./server.js";
export { openDatabase, type HistoryDatabase } from "./store/database.js";
export { migrate, migrationStatus } from "./store/migrator.js";
export { createDependencies, type ServerDependencies } from "./dependencies/server-dependencies.js";
export { openServerRedis } from "./dependencies/server-redis.js";
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
export {
  artifactServiceHooks,
  collectOrphanedPendingArtifacts,
  deleteArtifactFiles,
  promotePendingArtifacts,
  type ArtifactServiceHooks,
} from "./artifacts/artifact-lifecycle.js";
