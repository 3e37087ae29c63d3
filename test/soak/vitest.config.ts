// The soak's own vitest setup: only soak.run.ts, no time limit, its progress lines straight to the terminal.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: join(dirname(fileURLToPath(import.meta.url)), "..", ".."),
    include: ["test/soak/soak.run.ts"],
    testTimeout: 4 * 60 * 60 * 1000,
    hookTimeout: 60_000,
    pool: "forks",
    disableConsoleIntercept: true,
  },
});
