import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // chDB binds one data directory per process: each test file runs in its own forked process.
    pool: "forks",
    // Both cores: much of a test file's time is spent waiting on spawned CLIs and the engine.
    maxWorkers: 2,
    // A test of the built CLI runs it a dozen times; a busy machine makes that slow, never wrong.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
