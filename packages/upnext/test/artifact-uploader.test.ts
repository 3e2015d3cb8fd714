/**
 * The artifact uploader against small real HTTP servers that misbehave on purpose (the history
 * server itself is exercised end to end in packages/server/test/artifacts-worker.test.ts).
 */
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { ArtifactUploadError, ArtifactUploader } from "../src/runtime/artifacts/artifact-uploader.js";

interface Received {
  readonly url: URL;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
}

type Handler = (received: Received, response: ServerResponse, request: IncomingMessage) => void;

const servers: Server[] = [];

async function serve(handler: Handler): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const entry = {
        url: new URL(request.url ?? "/", "http://x"),
        headers: request.headers,
        body: Buffer.concat(chunks),
      };
      received.push(entry);
      handler(entry, response, request);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, received };
}

function stored(received: Received): Record<string, unknown> {
  return {
    id: received.url.searchParams.get("id"),
    jobId: "job-1",
    name: received.url.searchParams.get("name"),
    contentType: received.headers["content-type"],
    size: received.body.length,
    sha256: createHash("sha256").update(received.body).digest("hex"),
    createdAt: new Date().toISOString(),
    pending: true,
  };
}

function answer(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

function spoolFiles(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith("upnext-artifact-"));
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe("the artifact uploader", () => {
  it("retries a 503 and a dropped connection with the same id and body, then returns the artifact", async () => {
    let calls = 0;
    const server = await serve((received, response, request) => {
      calls += 1;
      if (calls === 1) {
        answer(
          response,
          503,
          { error: { code: "dependency_unavailable", message: "down", requestId: "r" } },
          { "retry-after": "0" },
        );
      } else if (calls === 2) request.socket.destroy();
      else answer(response, 201, stored(received));
    });
    const uploader = new ArtifactUploader({ serverUrl: server.url, apiToken: "tok", backoffBaseMs: 5 });
    const artifact = await uploader.put({ jobId: "job-1", name: "report.json", data: { a: 1 } });
    expect(artifact).toMatchObject({ name: "report.json", contentType: "application/json", size: 7 });
    expect(server.received).toHaveLength(3);
    const ids = new Set(server.received.map((entry) => entry.url.searchParams.get("id")));
    expect(ids.size).toBe(1);
    expect(server.received.map((entry) => entry.body.toString())).toEqual(Array(3).fill('{"a":1}'));
    expect(server.received[0]?.headers.authorization).toBe("Bearer tok");
    expect(server.received[0]?.url.pathname).toBe("/api/v1/jobs/job-1/artifacts");
  });

  it("sends a stream with its length from a spool file, replays it on retry, and removes the spool", async () => {
    let calls = 0;
    const server = await serve((received, response) => {
      calls += 1;
      if (calls === 1) answer(response, 502, "bad gateway");
      else answer(response, 201, stored(received));
    });
    const before = spoolFiles();
    const uploader = new ArtifactUploader({ serverUrl: server.url, apiToken: "", backoffBaseMs: 5 });
    const chunks = Array.from({ length: 100 }, (_, i) => Buffer.from(`chunk ${i};`));
    const artifact = await uploader.put({ jobId: "job-1", name: "chunks.bin", data: Readable.from(chunks) });
    const expected = Buffer.concat(chunks);
    expect(artifact.size).toBe(expected.length);
    expect(server.received.map((entry) => entry.body.equals(expected))).toEqual([true, true]);
    expect(server.received[1]?.headers["content-length"]).toBe(String(expected.length));
    expect(server.received[1]?.headers.authorization).toBeUndefined();
    expect(spoolFiles()).toEqual(before);
  });

  it("does not retry a 4xx, and says what the server said", async () => {
    const server = await serve((_received, response) => {
      answer(response, 401, { error: { code: "unauthorized", message: "needs a token", requestId: "r" } });
    });
    const uploader = new ArtifactUploader({ serverUrl: server.url, apiToken: "", backoffBaseMs: 5 });
    const error = await uploader.put({ jobId: "job-1", name: "a.txt", data: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactUploadError);
    expect(error).toMatchObject({ status: 401, serverCode: "unauthorized", attempts: 1 });
    expect((error as Error).message).toContain("needs a token");
    expect(server.received).toHaveLength(1);
  });

  it("rejects after its attempts when nothing listens, naming the server and UPNEXT_SERVER_URL", async () => {
    const server = await serve(() => undefined);
    const url = server.url;
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const uploader = new ArtifactUploader({ serverUrl: url, apiToken: "", maxAttempts: 3, backoffBaseMs: 5 });
    const error = await uploader.put({ jobId: "job-1", name: "a.txt", data: "x" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "artifact_upload_failed", status: undefined, attempts: 3 });
    expect((error as Error).message).toMatch(new RegExp(`${url}.*ECONNREFUSED.*UPNEXT_SERVER_URL`));
  });

  it("stops when the job's signal aborts", async () => {
    const server = await serve((_received, response) => {
      answer(response, 503, { error: { code: "dependency_unavailable", message: "down", requestId: "r" } });
    });
    const uploader = new ArtifactUploader({ serverUrl: server.url, apiToken: "", backoffBaseMs: 60_000 });
    const controller = new AbortController();
    const put = uploader.put({ jobId: "job-1", name: "a.txt", data: "x", signal: controller.signal });
    setTimeout(() => {
      controller.abort(new Error("job timed out"));
    }, 100);
    await expect(put).rejects.toThrow("job timed out");
    expect(server.received).toHaveLength(1);
  });
});
