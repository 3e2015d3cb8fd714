/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real
 * server, ingester, Redis and worker. Screenshots of every page go to
 * packages/dashboard/test-results/ (not committed) to be looked at.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eStack, ensureDashboardBuilt, startE2eStack } from "./e2e-stack.js";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(import.meta.dirname, "..", "test-results");
const TREE_SIZE = 10_000;
/** The tree timeline keeps about a screenful of rows (plus overscan) in the page, never the tree. */
const MAX_TIMELINE_ROWS_IN_DOM = 60;
const UI_TIMEOUT_MS = 20_000;

let stack: E2eStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function open(path: string): Promise<void> {
  await page.goto(`${stack.url}${path}`);
  await page.getByRole("heading", { level: 1 }).first().waitFor({ timeout: UI_TIMEOUT_MS });
}

if (!existsSync(CHROMIUM)) {
  console.warn(`Skipping the dashboard's browser tests: no ${CHROMIUM} (apt-get install -y chromium).`);
}

describe.skipIf(!existsSync(CHROMIUM))("the dashboard in a browser", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ensureDashboardBuilt();
    stack = await startE2eStack();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: "en-US" });
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await context.close();
    await browser.close();
    await stack.stop();
  }, 60_000);

  it("renders the overview with live data", async () => {
    await stack.submitQuick();
    await open("/");
    const workers = page.getByText("Workers online").locator("..");
    await expect.poll(() => workers.textContent(), { timeout: UI_TIMEOUT_MS }).toContain("1 of 1");
    const queues = page.getByRole("region", { name: "Queue depth per function" });
    await queues.getByRole("link", { name: "e2e-quick" }).waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByRole("heading", { name: "Runbook" }).waitFor();
    await shot("overview");
  });

  it("shows a job go from queued to active to complete without a reload", async () => {
    await open("/jobs?function=e2e-quick");
    await page.getByText("Live").first().waitFor({ timeout: UI_TIMEOUT_MS });
    // The task runs one job at a time: the second waits in the queue while the first runs.
    await stack.submitQuick();
    const jobId = await stack.submitQuick();
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: jobId }) });
    await row.getByText("Queued").waitFor({ timeout: UI_TIMEOUT_MS });
    await shot("jobs-queued");
    await row.getByText("Active").waitFor({ timeout: UI_TIMEOUT_MS });
    await row.getByText("Complete").waitFor({ timeout: UI_TIMEOUT_MS });
    await shot("jobs");
  });

  it("cancels a running job from its page and shows it cancelled", async () => {
    const jobId = await stack.submitSlow();
    await page.goto(`${stack.url}/jobs/${jobId}`);
    // The history may be a moment behind the stream: the page offers a retry until it has the job.
    const heading = page.getByRole("heading", { level: 1, name: `Job ${jobId}` });
    await expect
      .poll(
        async () => {
          if (await heading.isVisible()) return true;
          const retry = page.getByRole("button", { name: "Retry" });
          if (await retry.isVisible()) await retry.click();
          return false;
        },
        { timeout: UI_TIMEOUT_MS, interval: 500 },
      )
      .toBe(true);
    const header = heading.locator("..");
    await header.getByText("Active").waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByRole("button", { name: "Cancel job" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel job" });
    await dialog.getByRole("button", { name: "Cancel job" }).click();
    await header.getByText("Cancelled").waitFor({ timeout: UI_TIMEOUT_MS });
    await expect.poll(() => page.getByRole("button", { name: "Cancel job" }).count()).toBe(0);
    await page.getByRole("button", { name: "Retry job" }).waitFor();
    await shot("job-cancelled");
  });

  it("opens a 10,000-job tree and scrolls it with a bounded number of rows in the page", async () => {
    const rootId = await stack.seedTree(TREE_SIZE);
    await page.goto(`${stack.url}/jobs/${rootId}`);
    const timeline = page.getByTestId("timeline-scroll");
    await page
      .getByText("10,000 jobs in this tree")
      .waitFor({ timeout: 60_000 })
      .catch(async (error: unknown) => {
        await shot("job-tree-failed");
        throw error;
      });
    await expect.poll(() => timeline.locator("li").count()).toBeGreaterThan(5);
    expect(await timeline.locator("li").count()).toBeLessThanOrEqual(MAX_TIMELINE_ROWS_IN_DOM);
    for (const fraction of [0.25, 0.5, 1]) {
      await timeline.evaluate((element, at) => {
        element.scrollTop = element.scrollHeight * at;
      }, fraction);
      await page.waitForTimeout(200);
      expect(await timeline.locator("li").count()).toBeLessThanOrEqual(MAX_TIMELINE_ROWS_IN_DOM);
    }
    await expect.poll(() => timeline.getByText("e2e-tree-leaf").count()).toBeGreaterThan(0);
    // Folding the root leaves one row.
    await timeline.evaluate((element) => {
      element.scrollTop = 0;
    });
    await timeline
      .getByRole("button", { name: /^Collapse e2e-tree / })
      .first()
      .click();
    await expect.poll(() => timeline.locator("li").count()).toBe(1);
    await shot("job-tree");
  });

  it("shows a failing panel's own error while the rest of the page works, and recovers on Retry", async () => {
    await page.route("**/api/v1/queues**", (route) =>
      route.fulfill({
        status: 500,
        contentType: "application/json",
        body: JSON.stringify({
          error: { code: "internal_error", message: "queue depth exploded", requestId: "e2e-1" },
        }),
      }),
    );
    await open("/");
    const queues = page.getByRole("region", { name: "Queue depth per function" });
    await queues.getByText("This panel could not load").waitFor({ timeout: UI_TIMEOUT_MS });
    await queues.getByText("queue depth exploded").waitFor();
    await page.getByRole("region", { name: "Last hour" }).getByText("Workers online").waitFor();
    await page.getByRole("figure", { name: "Throughput" }).waitFor();
    await shot("overview-failing-panel");
    await page.unroute("**/api/v1/queues**");
    await queues.getByRole("button", { name: "Retry" }).click();
    await queues
      .getByText("This panel could not load")
      .waitFor({ state: "detached", timeout: UI_TIMEOUT_MS });
    await queues
      .getByText(/No function has jobs queued|Ready/)
      .first()
      .waitFor({ timeout: UI_TIMEOUT_MS });
  });

  it("switches the interface to German", async () => {
    await open("/functions");
    await page.getByRole("combobox", { name: "Language" }).selectOption("de");
    await page.getByRole("heading", { level: 1, name: "Funktionen" }).waitFor();
    await page.getByRole("link", { name: "Zeitpläne" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("de");
    await shot("functions-de");
    await page.getByRole("combobox", { name: "Sprache" }).selectOption("en");
    await page.getByRole("heading", { level: 1, name: "Functions" }).waitFor();
  });

  // Twenty page loads, each with a full axe-core analysis and a full-page screenshot: on a loaded
  // machine that outlasts the project's 90 s, so this test has its own, longer wait.
  it(
    "passes axe-core without serious violations on every page, in both themes",
    { timeout: 240_000 },
    async () => {
      const jobId = await stack.submitQuick();
      const paths = [
        "/",
        "/jobs",
        `/jobs/${jobId}`,
        "/functions",
        "/functions/e2e-quick",
        "/workers",
        "/schedules",
        "/dead-letters",
        "/activity",
        "/no-such-page",
      ];
      const findings: string[] = [];
      for (const theme of ["light", "dark"] as const) {
        const themed = await browser.newContext({
          viewport: { width: 1400, height: 1000 },
          colorScheme: theme,
        });
        const themedPage = await themed.newPage();
        for (const path of paths) {
          await themedPage.goto(`${stack.url}${path}`);
          await themedPage.getByRole("heading", { level: 1 }).first().waitFor({ timeout: UI_TIMEOUT_MS });
          await themedPage.waitForTimeout(500);
          const results = await new AxeBuilder({ page: themedPage }).analyze();
          for (const violation of results.violations) {
            if (violation.impact === "serious" || violation.impact === "critical") {
              findings.push(
                `${theme} ${path}: ${violation.id} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`,
              );
            }
          }
          const name =
            path === "/"
              ? "overview"
              : path.startsWith("/jobs/")
                ? "job"
                : path.slice(1).replaceAll("/", "-");
          await themedPage.screenshot({ path: join(SHOTS, `${theme}-${name}.png`), fullPage: true });
        }
        await themed.close();
      }
      expect(findings).toEqual([]);
    },
  );

  it("at 390 px every page fits the screen (no horizontal page overflow), passes axe, and the menu opens", async () => {
    const jobId = await stack.submitQuick();
    const paths = [
      "/?window=15m",
      "/jobs",
      `/jobs/${jobId}`,
      "/functions",
      "/functions/e2e-quick?window=24h",
      "/workers",
      "/schedules",
      "/dead-letters",
      "/activity",
    ];
    const narrow = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "en-US" });
    const phone = await narrow.newPage();
    const overflowing: string[] = [];
    const findings: string[] = [];
    for (const path of paths) {
      await phone.goto(`${stack.url}${path}`);
      await phone.getByRole("heading", { level: 1 }).first().waitFor({ timeout: UI_TIMEOUT_MS });
      await phone.waitForTimeout(500);
      const widths = await phone.evaluate(() => {
        const client = document.documentElement.clientWidth;
        // The innermost elements reaching past the screen's edge, to name the culprit.
        const culprits = [...document.querySelectorAll("body *")]
          .filter((element) => element.getBoundingClientRect().right > client + 1)
          .filter(
            (element) =>
              ![...element.children].some((child) => child.getBoundingClientRect().right > client + 1),
          )
          .slice(0, 3)
          .map(
            (element) =>
              `${element.tagName.toLowerCase()}.${(element.getAttribute("class") ?? "").slice(0, 60)}`,
          );
        return { scroll: document.documentElement.scrollWidth, client, culprits };
      });
      if (widths.scroll > widths.client) {
        overflowing.push(`${path}: ${widths.scroll} > ${widths.client} (${widths.culprits.join("; ")})`);
      }
      const results = await new AxeBuilder({ page: phone }).analyze();
      for (const violation of results.violations) {
        if (violation.impact === "serious" || violation.impact === "critical")
          findings.push(`${path}: ${violation.id}`);
      }
      const name =
        path.split("?")[0] === "/"
          ? "overview"
          : path.startsWith("/jobs/")
            ? "job"
            : (path.split("?")[0] ?? "").slice(1).replaceAll("/", "-");
      await phone.screenshot({ path: join(SHOTS, `390-${name}.png`), fullPage: true });
    }
    // The navigation is one button until opened.
    const menu = phone.getByRole("button", { name: "Menu" });
    await expect.poll(() => menu.getAttribute("aria-expanded")).toBe("false");
    await menu.click();
    await phone.getByRole("navigation").getByRole("link", { name: "Dead letters" }).click();
    await phone.getByRole("heading", { level: 1, name: "Dead letters" }).waitFor({ timeout: UI_TIMEOUT_MS });
    await expect.poll(() => menu.getAttribute("aria-expanded")).toBe("false");
    await narrow.close();
    expect(overflowing).toEqual([]);
    expect(findings).toEqual([]);
  });

  it("switches the overview between windows through the URL, in minute and hour buckets", async () => {
    await open("/");
    await page.getByRole("button", { name: "15 min" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("window")).toBe("15m");
    await page.getByText("One point per minute").waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByRole("button", { name: "7 d" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("window")).toBe("7d");
    await page.getByText("One point per hour").waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByRole("heading", { name: "Last 7 days" }).waitFor();
    await shot("overview-7d");
  });

  it("cancels selected jobs in bulk and reports the outcome", async () => {
    await open("/jobs?function=e2e-quick");
    const refs = [await stack.submitQuick(), await stack.submitQuick()];
    for (const id of refs) {
      await page.getByRole("checkbox", { name: `Select ${id}` }).check({ timeout: UI_TIMEOUT_MS });
    }
    await page.getByRole("button", { name: "Cancel 2 selected" }).click();
    await page.getByText(/Cancel: \d+ done, \d+ skipped of 2\./).waitFor({ timeout: UI_TIMEOUT_MS });
    await shot("jobs-bulk-cancel");
  });
});
