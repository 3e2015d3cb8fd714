/**
 * Real-time updates end to end, without a browser: the history server and a worker run in a
 * child process against the real Redis; the jobs table (the dashboard's own components, its SSE
 * client and EventStreamProvider) is rendered here. A job submitted from the test appears and
 * moves to complete without any refetch.
 */
import { join } from "node:path";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setApiOrigin } from "../../src/api/http.js";
import { renderApp } from "./render-app.js";
import { type StackProcess, startStackProcess } from "./stack-process.js";

const STARTUP_MS = 60_000;
const JOB_MS = 1_200;

let stack: StackProcess;

beforeAll(async () => {
  stack = startStackProcess(join(import.meta.dirname, "live-stack.ts"), "dash-it");
  setApiOrigin(await stack.reply<string>("url", STARTUP_MS));
}, STARTUP_MS);

afterAll(async () => {
  setApiOrigin("");
  await stack.stop();
});

describe("live updates against a real server, Redis and worker", () => {
  it("shows a submitted job appear and move to complete without a reload", async () => {
    renderApp("/jobs?function=dashboard-test-job");
    // The page's chunk loads on first navigation: slow on a busy machine.
    await screen.findByRole("heading", { level: 1, name: "Jobs" }, { timeout: 10_000 });
    // The stream is open before the job exists, so its whole life arrives live.
    await screen.findByText("Live", undefined, { timeout: 10_000 });
    stack.send(`submit ${JOB_MS}`);
    const jobId = await stack.reply<string>("jobId", 10_000);
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
    const { router } = renderApp("/workers");
    stack.send("submit 50");
    const jobId = await stack.reply<string>("jobId", 10_000);
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
