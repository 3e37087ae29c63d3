import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["*/src/**/*.test.ts", "*/src/**/*.test.tsx", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    // The big streaming round trips are CPU-bound; two cores share them.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", "./vitest-summary.ts"],
  },
});
