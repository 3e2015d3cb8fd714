/**
 * The APIs pages in Chromium against a real history server, Redis and a real Fastify app with the
 * `upnext/http` tracker: the route tree with figures, a route's uPlot charts, the overview's API
 * tiles, and axe-core without serious violations on the APIs pages in both themes. Screenshots go
 * to test-results/ (apis-*.png).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRACKED_API, type TrackedApi, startTrackedApi } from "../test/integration/tracked-api.js";
import { type E2eStack, ensureDashboardBuilt, startE2eStack } from "./e2e-stack.js";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(import.meta.dirname, "..", "test-results");
const UI_TIMEOUT_MS = 20_000;
const ROUTE_PATH = `/apis/${TRACKED_API}/route?method=GET&route=${encodeURIComponent("/orders/:id")}`;

let stack: E2eStack;
let api: TrackedApi;
let browser: Browser;

async function newPage(colorScheme: "light" | "dark" = "light"): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme });
  return context.newPage();
}

async function open(page: Page, path: string): Promise<void> {
  await page.goto(`${stack.url}${path}`);
  await page.getByRole("heading", { level: 1 }).first().waitFor({ timeout: UI_TIMEOUT_MS });
}

describe.skipIf(!existsSync(CHROMIUM))("the APIs pages in a browser", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ensureDashboardBuilt();
    stack = await startE2eStack();
    api = await startTrackedApi(stack.config.namespace, stack.config.redisUrl);
    expect(await api.traffic()).toBe(5);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  }, 180_000);

  afterAll(async () => {
    await browser.close();
    await api.stop();
    await stack.stop();
  }, 60_000);

  it("shows the route tree, a route's charts and the overview tiles", async () => {
    const page = await newPage();
    // The ingester stores the flushed minute shortly after the report: reload until it shows.
    await expect
      .poll(
        async () => {
          await open(page, "/apis");
          const row = page
            .getByRole("row")
            .filter({ has: page.getByRole("link", { name: "GET /orders/:id", exact: true }) });
          return (await row.count()) === 1 ? await row.getByRole("cell").nth(1).textContent() : null;
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toBe("3");
    await page.getByRole("img", { name: "1 request in the last hour, per minute" }).first().waitFor();
    await page.screenshot({ path: join(SHOTS, "apis.png"), fullPage: true });

    await page.getByRole("link", { name: "GET /orders/:id", exact: true }).click();
    await page
      .getByRole("heading", { level: 1, name: "GET /orders/:id" })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    // uPlot draws on a canvas; four charts (traffic and latency, per minute and per hour).
    await expect.poll(() => page.locator(".upnext-chart canvas").count(), { timeout: UI_TIMEOUT_MS }).toBe(4);
    const minutes = page.getByRole("table", { name: "Per minute, last hour: requests and errors" });
    expect(await minutes.getByRole("cell", { name: "3", exact: true }).count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, "apis-route.png"), fullPage: true });

    await open(page, "/");
    const tiles = page.getByRole("region", { name: "HTTP APIs, last hour" });
    await tiles.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await tiles.getByText("1 of 1").count()).toBe(1);
    expect(await tiles.getByText("20%").count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, "apis-overview.png"), fullPage: true });
    await page.context().close();
  }, 90_000);

  it("passes axe-core without serious violations on the APIs pages, in both themes", async () => {
    const findings: string[] = [];
    for (const theme of ["light", "dark"] as const) {
      const page = await newPage(theme);
      for (const path of ["/apis", ROUTE_PATH]) {
        await open(page, path);
        await page.waitForTimeout(500);
        const results = await new AxeBuilder({ page }).analyze();
        for (const violation of results.violations) {
          if (violation.impact === "serious" || violation.impact === "critical") {
            findings.push(
              `${theme} ${path}: ${violation.id} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`,
            );
          }
        }
      }
      await page.screenshot({ path: join(SHOTS, `apis-route-${theme}.png`), fullPage: true });
      await page.context().close();
    }
    expect(findings).toEqual([]);
  }, 90_000);
});
