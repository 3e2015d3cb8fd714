/**
 * Artifact contents as files under one directory (UPNEXT_ARTIFACTS_DIR). An upload is written
 * to a partial file, fsynced, then renamed into place, so a reader never sees half an object and
 * a crash leaves only a partial file that `removeStalePartials` cleans up.
 */
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { Transform, type TransformCallback, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  type ArtifactStorage,
  ArtifactStorageError,
  ArtifactTooLargeError,
  type ByteRange,
  type OpenedObject,
  type StoredObject,
  StorageObjectNotFoundError,
} from "./artifact-storage.js";

const PARTIAL_DIR = ".partial";
const PARTIAL_SUFFIX = ".partial";
/** Large writes keep a 1 GB upload at disk speed; a few of them in flight cost little memory. */
const WRITE_HIGH_WATER_MARK = 1024 * 1024;
const READ_HIGH_WATER_MARK = 256 * 1024;
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** A partial file older than this belongs to an upload that died with its process. */
export const STALE_PARTIAL_AGE_MS = 6 * 60 * 60 * 1000;
const KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

/** Counts and hashes what passes, and fails as soon as more than `maxBytes` went by. */
class MeteredHash extends Transform {
  readonly hash = createHash("sha256");
  size = 0;

  constructor(private readonly maxBytes: number) {
    super({ highWaterMark: WRITE_HIGH_WATER_MARK });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      callback(new ArtifactTooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ENOENT";
}

export class LocalDirectoryStorage implements ArtifactStorage {
  readonly root: string;

  constructor(directory: string) {
    this.root = resolve(directory);
  }

  /** The file of a key; the key's shape and the containment are both checked. */
  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid storage key ${JSON.stringify(key)}`);
    const path = resolve(this.root, ...key.split("/"));
    if (!path.startsWith(this.root + sep))
      throw new Error(`storage key ${JSON.stringify(key)} escapes the root`);
    return path;
  }

  async put(key: string, source: Readable, maxBytes: number): Promise<StoredObject> {
    const target = this.pathOf(key);
    const partialDir = join(this.root, PARTIAL_DIR);
    const partial = join(partialDir, `${randomBytes(8).toString("hex")}${PARTIAL_SUFFIX}`);
    const meter = new MeteredHash(maxBytes);
    try {
      await mkdir(partialDir, { recursive: true, mode: DIR_MODE });
      await mkdir(resolve(target, ".."), { recursive: true, mode: DIR_MODE });
    } catch (error) {
      throw new ArtifactStorageError("create a directory", error);
    }
    const out = createWriteStream(partial, {
      flags: "wx",
      mode: FILE_MODE,
      highWaterMark: WRITE_HIGH_WATER_MARK,
    });
    try {
      await pipeline(source, meter, out);
      // fsync flushes the file's data whichever descriptor asks; the stream's own is closed by now.
      await this.sync(partial);
      await rename(partial, target);
      await this.sync(resolve(target, ".."));
    } catch (error) {
      // The file may still be being opened when the body fails early: unlink it only once closed.
      if (!out.closed) await once(out, "close").catch(() => undefined);
      await unlink(partial).catch(() => undefined);
      if (error instanceof ArtifactTooLargeError) throw error;
      // The client went away or sent a broken body: not the storage's fault, passed on as is.
      if (!(error instanceof Error) || !("syscall" in error)) throw error;
      throw new ArtifactStorageError("write the artifact", error);
    }
    return { size: meter.size, sha256: meter.hash.digest("hex") };
  }

  /** fsync of a file (its data) or a directory (a rename in it), so a crash after the reply keeps the artifact. */
  private async sync(path: string): Promise<void> {
    const handle = await open(path, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async open(key: string, range?: ByteRange): Promise<OpenedObject> {
    const path = this.pathOf(key);
    // Opened before it is measured: a delete racing the download cannot cut the stream short.
    let handle;
    let size: number;
    try {
      handle = await open(path, "r");
      size = (await handle.stat()).size;
    } catch (error) {
      await handle?.close().catch(() => undefined);
      if (isMissing(error)) throw new StorageObjectNotFoundError();
      throw new ArtifactStorageError("read the artifact", error);
    }
    const stream = handle.createReadStream({
      highWaterMark: READ_HIGH_WATER_MARK,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
    return { stream, size };
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if (!isMissing(error)) throw new ArtifactStorageError("delete the artifact", error);
    }
  }

  /** Deletes partial files left by uploads that died with their process; returns how many. */
  async removeStalePartials(now = Date.now(), maxAgeMs = STALE_PARTIAL_AGE_MS): Promise<number> {
    const partialDir = join(this.root, PARTIAL_DIR);
    let names: string[];
    try {
      names = await readdir(partialDir);
    } catch (error) {
      if (isMissing(error)) return 0;
      throw new ArtifactStorageError("list partial uploads", error);
    }
    let removed = 0;
    for (const name of names.filter((entry) => entry.endsWith(PARTIAL_SUFFIX))) {
      const path = join(partialDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > maxAgeMs) {
        await unlink(path).catch(() => undefined);
        removed += 1;
      }
    }
    return removed;
  }
}
