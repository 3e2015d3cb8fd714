/**
 * Real-time updates end to end, without a browser: the history server and a worker run in a
 * child process against the real Redis; the jobs table (the dashboard's own components, its SSE
 * client and EventStreamProvider) is rendered here. A job submitted from the test appears and
 * moves to complete without any refetch.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider, createMemoryHistory, createRouter } from "@tanstack/react-router";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setApiOrigin } from "../../src/api/http.js";
import { routeTree } from "../../src/app/router.js";
import { EventStreamProvider } from "../../src/live/event-stream-provider.js";

const REDIS_URL = process.env.UPNEXT_REDIS_URL ?? "redis://127.0.0.1:6379";
const STACK = join(import.meta.dirname, "live-stack.ts");
const STARTUP_MS = 60_000;
const JOB_MS = 1_200;

let stack: ChildProcessWithoutNullStreams;
const replies: Record<string, unknown>[] = [];
let dataDir: string;
let stderr = "";

function nextReply<T>(key: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = () => {
      const index = replies.findIndex((reply) => key in reply || "error" in reply);
      if (index >= 0) {
        const [reply] = replies.splice(index, 1);
        if (reply !== undefined && "error" in reply) reject(new Error(String(reply.error)));
        else resolve(reply?.[key] as T);
        return;
      }
      if (Date.now() > deadline) {
        reject(new Error(`the stack did not answer ${key}; its stderr: ${stderr.slice(-2_000)}`));
        return;
      }
      setTimeout(poll, 20);
    };
    poll();
  });
}

beforeAll(async () => {
  dataDir = `/tmp/upnext-dashboard-it-${randomBytes(4).toString("hex")}`;
  stack = spawn(process.execPath, ["--import", "tsx", STACK], {
    env: {
      ...process.env,
      UPNEXT_REDIS_URL: REDIS_URL,
      UPNEXT_NAMESPACE: `dash-it-${randomBytes(3).toString("hex")}`,
      UPNEXT_DATABASE_URL: `${dataDir}.db`,
      UPNEXT_ARTIFACTS_DIR: `${dataDir}-artifacts`,
      UPNEXT_LOG_LEVEL: "silent",
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  stack.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: stack.stdout }).on("line", (line) => {
    try {
      replies.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // Not one of ours (a library writing to stdout).
    }
  });
  const url = await nextReply<string>("url", STARTUP_MS);
  setApiOrigin(url);
}, STARTUP_MS);

afterAll(async () => {
  setApiOrigin("");
  stack.stdin.end();
  await new Promise((resolve) => {
    stack.once("exit", resolve);
    setTimeout(resolve, 10_000);
  });
  await rm(`${dataDir}.db`, { force: true });
  await rm(`${dataDir}-artifacts`, { recursive: true, force: true });
});

/** The whole dashboard at `path`, with its live streams, against the stack's server. */
function renderApp(path: string) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const router = createRouter({
    routeTree,
    context: { queryClient },
    history: createMemoryHistory({ initialEntries: [path] }),
  });
  render(
    <QueryClientProvider client={queryClient}>
      <EventStreamProvider>
        <RouterProvider router={router} />
      </EventStreamProvider>
    </QueryClientProvider>,
  );
  return router;
}

describe("live updates against a real server, Redis and worker", () => {
  it("shows a submitted job appear and move to complete without a reload", async () => {
    renderApp("/jobs?function=dashboard-test-job");
    // The page's chunk loads on first navigation: slow on a busy machine.
    await screen.findByRole("heading", { level: 1, name: "Jobs" }, { timeout: 10_000 });
    // The stream is open before the job exists, so its whole life arrives live.
    await screen.findByText("Live", undefined, { timeout: 10_000 });
    stack.stdin.write(`submit ${JOB_MS}\n`);
    const jobId = await nextReply<string>("jobId", 10_000);
    const link = await screen.findByRole("link", { name: jobId }, { timeout: 10_000 });
    const row = link.closest("tr");
    if (row === null) throw new Error("the job link is not in a table row");
    await waitFor(
      () => {
        expect(within(row).getByText("Active")).toBeTruthy();
      },
      { timeout: 10_000 },
    );
    await waitFor(
      () => {
        expect(within(row).getByText("Complete")).toBeTruthy();
      },
      { timeout: 15_000 },
    );
  }, 60_000);

  it("opens a job from the header's jump-to-id box given the start of its id", async () => {
    const router = renderApp("/workers");
    stack.stdin.write("submit 50\n");
    const jobId = await nextReply<string>("jobId", 10_000);
    const box = await screen.findByRole("searchbox", { name: "Jump to job id" }, { timeout: 10_000 });
    // The history has it once ingest has stored it; until then the box opens the Jobs search.
    await waitFor(
      async () => {
        await userEvent.clear(box);
        await userEvent.type(box, `${jobId.slice(0, 20)}{Enter}`);
        expect(await screen.findByRole("heading", { level: 1, name: `Job ${jobId}` })).toBeTruthy();
      },
      { timeout: 15_000 },
    );
    expect(router.state.location.pathname).toBe(`/jobs/${jobId}`);
  }, 60_000);
});
