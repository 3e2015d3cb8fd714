import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each test file uses its own Redis namespace, so files run in parallel safely.
    fileParallelism: true,
    pool: "forks",
  },
});
