/**
 * A local S3-compatible server (s3rver) in a child process, for tests and benchmarks of the S3
 * artifact storage. A child process, so what it holds in memory never counts in the test's RSS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../../../node_modules/s3rver/bin/s3rver.js", import.meta.url));

/** s3rver accepts any key pair; the SDK needs one to sign. */
export const S3_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export class LocalS3 {
  private constructor(
    private readonly child: ChildProcess,
    private readonly directory: string,
    readonly endpoint: string,
    readonly bucket: string,
  ) {}

  static async start(bucket = "artifacts"): Promise<LocalS3> {
    const directory = await mkdtemp(join(tmpdir(), "upnext-s3rver-"));
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        BIN,
        "--directory",
        directory,
        "--address",
        "127.0.0.1",
        "--port",
        String(port),
        "--silent",
        "--configure-bucket",
        bucket,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const endpoint = `http://127.0.0.1:${String(port)}`;
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await fetch(`${endpoint}/${bucket}`);
        break;
      } catch {
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`s3rver did not start: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return new LocalS3(child, directory, endpoint, bucket);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        this.child.once("exit", () => {
          resolve();
        });
        this.child.kill("SIGTERM");
      });
    }
    await rm(this.directory, { recursive: true, force: true });
  }
}
