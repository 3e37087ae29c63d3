/**
 * Vitest as Stryker runs it (mutation/stryker.config.mjs). The packages import each other through
 * their built `dist/` (package.json "exports"), so a mutant in shared/src or bundle-format/src
 * would never reach a test in another package: here every `@airlock/<pkg>` import, and every
 * `@airlock/<pkg>/dist/src/<path>.js` one, resolves to the TypeScript source instead, in the
 * sandbox Stryker copied. One copy of each module is loaded, so `instanceof` and error codes
 * behave as in a normal run.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const packages = "bundle-format|shared|offline-signer|online-courier";

export default defineConfig({
  root,
  resolve: {
    alias: [
      { find: new RegExp(`^@airlock/(${packages})$`), replacement: `${root}/$1/src/index.ts` },
      { find: new RegExp(`^@airlock/(${packages})/dist/src/(.*)\\.js$`), replacement: `${root}/$1/src/$2.ts` },
    ],
  },
  test: {
    // The mutation group's test files (mutation/stryker.config.mjs), else every unit test.
    include: (process.env["AIRLOCK_MUTATE_TESTS"] ?? "").split(",").filter((t) => t !== "").concat(process.env["AIRLOCK_MUTATE_TESTS"] ? [] : ["*/src/**/*.test.ts", "*/src/**/*.test.tsx"]),
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    setupFiles: [join(root, "vitest-properties.ts")],
  },
});
