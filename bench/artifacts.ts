/**
 * The artifact-upload benchmark (issue 4 §7: "Upload of a 1 GB artifact: server RSS grows by
 * less than 64 MB"). Starts a real `upnext server start` process of its own (SQLite and an
 * artifact directory in a temporary folder, the local Redis), streams a 1 GB artifact generated
 * on the fly to it, downloads it back, and samples the server's RSS from /proc/<pid>/status
 * throughout. Prints the growth over the idle baseline and the throughput both ways.
 *
 * Run alone with `npm run bench -w bench -- ...` is not needed: `npm run bench` runs it after the
 * queue workloads, and `npm run bench -- --only=artifacts` runs only it. Directly:
 *   tsx bench/artifacts.ts [--quick] [--size=<bytes>] [--storage=s3]
 * `--storage=s3` stores the artifact in an S3-compatible bucket (a local s3rver in a process of
 * its own) through multipart upload, instead of the local directory.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { LocalS3, S3_CREDENTIALS } from "../packages/server/test/helpers/s3-server.js";

const MIB = 1024 * 1024;
const FULL_SIZE = 1024 * MIB;
const QUICK_SIZE = 256 * MIB;
const CHUNK_SIZE = MIB;
const WARM_UP_SIZE = 8 * MIB;
/** The target of issue 4 §7. */
export const RSS_GROWTH_TARGET_MB = 64;
const SAMPLE_INTERVAL_MS = 20;
/** Idle time before the baseline is read, so start-up garbage is collected and the heap settles. */
const SETTLE_MS = 2_000;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "packages", "upnext", "bin", "upnext.js");
const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const s3 = args.includes("--storage=s3");
const sizeArg = args.find((arg) => arg.startsWith("--size="));
const size = sizeArg ? Number(sizeArg.slice("--size=".length)) : quick ? QUICK_SIZE : FULL_SIZE;
if (!Number.isSafeInteger(size) || size <= 0) {
  console.error(`--size must be a positive number of bytes, got ${sizeArg ?? ""}`);
  process.exit(2);
}

function rssBytes(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Samples a process's RSS until stopped; `peak` is the highest sample. */
class RssSampler {
  peak = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => {
      this.sample();
    }, SAMPLE_INTERVAL_MS);
  }
  private sample(): void {
    this.peak = Math.max(this.peak, rssBytes(this.pid));
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

/** `size` bytes of a repeating random block, hashed as they are produced. */
function generated(total: number): { stream: Readable; digest: () => string } {
  const block = randomBytes(CHUNK_SIZE);
  const hash = createHash("sha256");
  let sent = 0;
  const stream = new Readable({
    highWaterMark: CHUNK_SIZE,
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const chunk = block.subarray(0, Math.min(CHUNK_SIZE, total - sent));
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest("hex") };
}

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
}

async function startServer(directory: string, bucket: LocalS3 | undefined): Promise<Started> {
  const child = spawn(process.execPath, [CLI, "server", "start", "--port", "0"], {
    cwd: directory,
    env: {
      ...process.env,
      ...(bucket
        ? {
            UPNEXT_ARTIFACT_STORAGE: "s3",
            UPNEXT_ARTIFACT_S3_BUCKET: bucket.bucket,
            UPNEXT_ARTIFACT_S3_ENDPOINT: bucket.endpoint,
            AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
          }
        : {}),
      UPNEXT_DATABASE_URL: `sqlite:${join(directory, "history.db")}`,
      UPNEXT_ARTIFACTS_DIR: join(directory, "artifacts"),
      UPNEXT_ARTIFACT_MAX_SIZE: String(size + MIB),
      UPNEXT_NAMESPACE: `bench-artifacts-${Date.now().toString(36)}`,
      UPNEXT_LOG_LEVEL: "warn",
      UPNEXT_API_TOKEN: "",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the server did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+?) /.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with code ${String(code)} before listening:\n${output}`));
    });
  });
  child.stdout.resume();
  return { child, url };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

interface Transfer {
  readonly seconds: number;
  readonly status: number;
  readonly body: string;
}

function upload(url: string, total: number): Promise<Transfer & { readonly sha256: string }> {
  const { stream, digest } = generated(total);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/v1/jobs/bench-artifact-job/artifacts?name=big.bin`,
      { method: "POST", headers: { "content-type": "application/octet-stream", "content-length": total } },
      (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => {
          resolve({
            seconds: (performance.now() - started) / 1000,
            status: response.statusCode ?? 0,
            body,
            sha256: digest(),
          });
        });
      },
    );
    req.on("error", reject);
    stream.pipe(req);
  });
}

function download(url: string, id: string): Promise<Transfer & { readonly bytes: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/v1/artifacts/${id}/content`, (response) => {
      let bytes = 0;
      response.on("data", (chunk: Buffer) => (bytes += chunk.length));
      response.on("end", () => {
        resolve({
          seconds: (performance.now() - started) / 1000,
          status: response.statusCode ?? 0,
          body: "",
          bytes,
        });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

const mb = (bytes: number): number => Math.round((bytes / MIB) * 10) / 10;

async function main(): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), "upnext-bench-artifacts-"));
  let server: Started | undefined;
  const bucket = s3 ? await LocalS3.start() : undefined;
  try {
    server = await startServer(directory, bucket);
    const pid = server.child.pid ?? 0;
    // Warm up the upload and download paths so their code and buffers are in the baseline.
    const warm = await upload(server.url, WARM_UP_SIZE);
    const warmId = (JSON.parse(warm.body) as { id: string }).id;
    await download(server.url, warmId);
    await sleep(SETTLE_MS);
    const baseline = rssBytes(pid);

    const uploadSampler = new RssSampler(pid);
    const up = await upload(server.url, size);
    const uploadPeak = uploadSampler.stop();
    if (up.status < 200 || up.status >= 300) throw new Error(`upload answered ${up.status}: ${up.body}`);
    const stored = JSON.parse(up.body) as { id: string; size: number; sha256: string };
    if (stored.size !== size || stored.sha256 !== up.sha256) {
      throw new Error(
        `the server stored ${stored.size} bytes with sha256 ${stored.sha256}, sent ${size} / ${up.sha256}`,
      );
    }
    const downloadSampler = new RssSampler(pid);
    const down = await download(server.url, stored.id);
    const downloadPeak = downloadSampler.stop();
    if (down.bytes !== size) throw new Error(`downloaded ${down.bytes} bytes of ${size}`);

    const growth = uploadPeak - baseline;
    const result = {
      artifact_bytes: size,
      server_rss_baseline_mb: mb(baseline),
      upload_rss_peak_mb: mb(uploadPeak),
      upload_rss_growth_mb: mb(growth),
      upload_seconds: Math.round(up.seconds * 100) / 100,
      upload_mb_per_s: Math.round(size / MIB / up.seconds),
      download_rss_growth_mb: mb(downloadPeak - baseline),
      download_seconds: Math.round(down.seconds * 100) / 100,
      download_mb_per_s: Math.round(size / MIB / down.seconds),
      rss_growth_target_mb: RSS_GROWTH_TARGET_MB,
      pass: growth < RSS_GROWTH_TARGET_MB * MIB,
    };
    console.log(
      `\nArtifact upload | ${mb(size)} MiB to \`upnext server start\` (SQLite, ${s3 ? "S3 multipart to s3rver" : "local directory"}), pid ${pid}`,
    );
    console.log(`  server RSS baseline ${result.server_rss_baseline_mb} MiB`);
    console.log(
      `  upload:   ${result.upload_mb_per_s} MiB/s (${result.upload_seconds} s), RSS peak ${result.upload_rss_peak_mb} MiB, growth ${result.upload_rss_growth_mb} MiB`,
    );
    console.log(
      `  download: ${result.download_mb_per_s} MiB/s (${result.download_seconds} s), RSS growth ${result.download_rss_growth_mb} MiB`,
    );
    console.log(
      `  ${result.pass ? "PASS" : "MISS"}  upload RSS growth ${result.upload_rss_growth_mb} MiB < ${RSS_GROWTH_TARGET_MB} MiB`,
    );
    await mkdir(RESULTS_DIR, { recursive: true });
    const name = s3 ? "artifacts-s3" : "artifacts";
    const file = join(RESULTS_DIR, size === FULL_SIZE ? `${name}.json` : `${name}-partial.json`);
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`  wrote ${file}`);
    if (!result.pass) process.exitCode = 1;
  } finally {
    if (server) await stopServer(server.child);
    await bucket?.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

await main();
