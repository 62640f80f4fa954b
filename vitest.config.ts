import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // The default summary, then every skip with its reason (and, with CI set, a failed run if anything skipped).
    reporters: ["default", "./test/support/skip-reporter.ts"],
  },
});
