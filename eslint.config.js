// Lint: typescript-eslint's recommended rules on every package; generated output is ignored.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "coverage/**", ".stryker-tmp*/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
      eqeqeq: ["error", "always"],
      // A focused test silently drops every other one (vitest also refuses it in CI: vitest.config.ts).
      "no-restricted-properties": [
        "error",
        ...["it", "test", "describe", "suite", "bench"].map((object) => ({ object, property: "only", message: "a focused test drops all the others; remove .only before committing (docs/testing.md)" })),
      ],
    },
  },
);
