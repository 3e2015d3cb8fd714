import { defineConfig } from "vitest/config";

export default defineConfig({
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
