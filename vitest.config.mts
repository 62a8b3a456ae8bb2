import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // chDB binds one data directory per process: each test file runs in its own forked process.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
