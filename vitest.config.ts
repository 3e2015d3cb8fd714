import { defaultClientConditions, defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

/**
 * Tests run the packages' TypeScript sources, never a stale dist/: the packages' exports map the
 * "@upnext/source" condition to src/ (docs/decisions/0018-compiled-packages-with-tsc.md). Vite
 * resolves it for the test files (and vitest hands the SSR conditions to its workers as
 * --conditions); NODE_OPTIONS carries it to every process the tests start (fixtures, the CLI).
 */
const SOURCE_CONDITION = "@upnext/source";
const conditionFlag = `--conditions=${SOURCE_CONDITION}`;
if (!(process.env.NODE_OPTIONS ?? "").includes(conditionFlag)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} ${conditionFlag}`.trim();
}

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: {
    resolve: {
      // Without "module", as vitest's own default: Node loads externalized packages itself.
      conditions: [SOURCE_CONDITION, ...defaultServerConditions.filter((c) => c !== "module")],
    },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each test file uses its own Redis namespace, so files run in parallel safely.
    fileParallelism: true,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["packages/*/test/**/*.test.ts"],
          exclude: ["packages/dashboard/**", "**/node_modules/**"],
        },
      },
      {
        // The dashboard's component and live-merge tests: a browser-like DOM (jsdom).
        extends: true,
        test: {
          name: "dashboard",
          include: ["packages/dashboard/test/**/*.test.{ts,tsx}"],
          environment: "jsdom",
          setupFiles: ["packages/dashboard/test/setup.ts"],
        },
      },
      {
        // The dashboard in Debian's Chromium against a real server, Redis and worker.
        extends: true,
        test: {
          name: "dashboard-e2e",
          include: ["packages/dashboard/e2e/**/*.e2e.ts"],
          testTimeout: 90_000,
        },
      },
    ],
  },
});
