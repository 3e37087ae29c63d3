import { defineConfig } from "vitest/config";

/**
 * Strict runs (docs/testing.md): .ci/run sets AIRLOCK_REQUIRE_TOOLS=1; then `.only` is refused
 * (as it is wherever CI is set) and vitest-summary.ts fails the run if any test was skipped.
 */
const strict = process.env["AIRLOCK_REQUIRE_TOOLS"] === "1" || (process.env["CI"] ?? "") !== "";

export default defineConfig({
  test: {
    include: ["*/src/**/*.test.ts", "*/src/**/*.test.tsx", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    // The big streaming round trips are CPU-bound; two cores share them.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default on two cores is one worker (cores - 1), which runs the files one after
    // another while most of them wait on child processes (the CLIs, ffmpeg, tmux, servers).
    maxWorkers: 2,
    allowOnly: !strict,
    // fast-check's seed (fixed when strict) and run counts for every property test.
    setupFiles: ["./vitest-properties.ts"],
    reporters: ["default", "./vitest-summary.ts"],
  },
});
